"""The optional second factor: an authenticator app (TOTP) plus single-use recovery codes.

Devices are django-otp's, stored in each tenant's schema: one ``TOTPDevice`` (the
app; unconfirmed until the person has typed a code it shows) and one
``StaticDevice`` holding ``RECOVERY_CODE_COUNT`` recovery codes, each working once.
Someone with a confirmed TOTP device is asked for a code after their password
(``psops.accounts.views_security.sign_in_code``); a recovery code works there too.

Wrong codes are throttled by django-otp per device (each failure doubles the wait
before the next try is even checked), and a pending sign-in is dropped after
``PENDING_SIGN_IN_MAX_TRIES`` wrong codes, so guessing goes back through the
password and its throttle. A code is accepted once: TOTP refuses a time step at
or before the last one used.

An organization may require a second factor of its admins and PS leaders
(``OrganizationSettings.second_factor_required``); ``SecondFactorEnrolmentMiddleware``
then sends those without one to set it up before any other page.
"""

from base64 import b32encode
from collections.abc import Callable

import django_otp
import segno
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from psops.accounts.models import OrganizationSettings, Role, User

RECOVERY_CODE_COUNT = 10
PENDING_SIGN_IN_MAX_TRIES = 5
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
ROLES_THAT_MAY_BE_REQUIRED = (Role.ADMIN, Role.LEADER)


def second_factor_device(*, user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if they set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def second_factor_enabled(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_required(*, user: User) -> bool:
    """Whether the organization requires this person to have a second factor."""
    if user.role not in ROLES_THAT_MAY_BE_REQUIRED:
        return False
    # A read only (no settings row yet means the default, off): this runs on every
    # request of an admin or leader who signed in without a code.
    return bool(
        OrganizationSettings.objects.filter(id=1)
        .values_list("second_factor_required", flat=True)
        .first()
    )


def totp_setup_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device whose secret the setup page shows (the same one on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def _normalize_code(code: str) -> str:
    # Apps show codes as "123 456"; recovery codes are typed as printed.
    return "".join(code.split()).lower()


@transaction.atomic
def totp_setup_confirm(*, user: User, code: str) -> list[str] | None:
    """Confirm the app with a code it shows; return the new recovery codes (shown once).

    None if the code is wrong (or there is no setup in progress): nothing changes.
    """
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(_normalize_code(code)):
        return None
    # Any earlier device is replaced, so one app and one set of codes are ever valid.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return _recovery_codes_replace(user=user)


def _recovery_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    return codes


@transaction.atomic
def second_factor_verify(*, user: User, code: str) -> Device | None:
    """The device that accepts ``code`` (the app's code, or an unused recovery code), or None."""
    code = _normalize_code(code)
    if not code:
        return None
    devices = [
        *TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True),
        *StaticDevice.objects.select_for_update().filter(user=user, confirmed=True),
    ]
    for device in devices:
        if device.verify_token(code):
            return device
    return None


@transaction.atomic
def second_factor_disable(*, user: User) -> None:
    """Remove the person's app and recovery codes."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def totp_qr_svg(*, device: TOTPDevice) -> str:
    """The device's otpauth:// link as an inline SVG QR code (no image file, no script)."""
    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(scale=5, border=2, title="QR code for your authenticator app")


# Pages a person who must set up a second factor can still reach.
_ENROLMENT_PATHS = ("accounts:two_factor_setup", "accounts:reauthenticate", "accounts:logout")


class SecondFactorEnrolmentMiddleware:
    """Send admins and leaders who must have a second factor and have none to set it up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.role in ROLES_THAT_MAY_BE_REQUIRED
            # Signed in with a code: nothing to check on every request.
            and DEVICE_ID_SESSION_KEY not in request.session
            and not request.path.startswith(("/static/", "/healthz"))
            and request.path not in {reverse(name) for name in _ENROLMENT_PATHS}
            and second_factor_required(user=user)
            and not second_factor_enabled(user=user)
        ):
            return HttpResponseRedirect(reverse("accounts:two_factor_setup"))
        return self.get_response(request)


def totp_secret_text(*, device: TOTPDevice) -> str:
    """The secret as apps ask for it when typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def django_otp_login(request: HttpRequest, *, user: User) -> None:
    """Record in the session that it was verified with the person's app."""
    device = second_factor_device(user=user)
    if device is not None:
        django_otp.login(request, device)
