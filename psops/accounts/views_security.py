"""The person's own security: the sign-in's second step, re-authentication, password
change and the second factor's setup and removal (psops.accounts.second_factor)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_static.models import StaticDevice

from psops.accounts import second_factor, services
from psops.accounts.forms import EmailChangeForm, NotifyingPasswordChangeForm
from psops.accounts.forms_security import CodeForm, PasswordAndCodeForm, TotpConfirmForm
from psops.accounts.models import User
from psops.accounts.sessions import reauth_required, session_mark_verified, sign_in_complete
from psops.ui.forms import form_errors_from
from psops.ui.htmx import HtmxHttpRequest, render_page

PENDING_KEY = "psops_pending_sign_in"
# How long the code step waits after the password was accepted (seconds).
PENDING_SIGN_IN_SECONDS = 5 * 60


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def sign_in_start(request: HttpRequest, *, user: User, next_url: str) -> HttpResponse:
    """The password was right: sign in, or first ask for a code if the person has a device."""
    backend = user.backend
    if not second_factor.second_factor_enabled(user=user):
        sign_in_complete(request, user=user, backend=backend)
        return redirect(next_url)
    # Not signed in yet: the session only remembers whose password was right, and when.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": backend,
        "started_at": int(time.time()),
        "next": next_url,
        "tries": 0,
    }
    return redirect("accounts:sign_in_code")


def _pending_user(request: HttpRequest) -> tuple[dict, User] | None:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["started_at"] > PENDING_SIGN_IN_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    return (pending, user) if user else None


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The sign-in's second step: a code from the app, or a recovery code."""
    found = _pending_user(request)
    if found is None:
        messages.info(request, "Please sign in again: the code step waits five minutes at most.")
        return redirect("accounts:login")
    pending, user = found
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor.second_factor_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            del request.session[PENDING_KEY]
            sign_in_complete(request, user=user, backend=pending["backend"], device=device)
            if device.name == second_factor.RECOVERY_DEVICE_NAME:
                left = device.token_set.count()
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. "
                    "Set up your authenticator app again if you lost it.",
                )
            return redirect(_safe_next(request, pending["next"]))
        pending["tries"] += 1
        if pending["tries"] >= second_factor.PENDING_SIGN_IN_MAX_TRIES:
            del request.session[PENDING_KEY]
            messages.error(request, "Too many wrong codes. Please sign in again.")
            return redirect("accounts:login")
        request.session[PENDING_KEY] = pending
        form.add_error(
            "code",
            "That code is not right, or was already used. Codes change every 30 seconds; "
            "after a wrong one the next try waits a little longer.",
        )
    return render_page(
        request,
        "accounts/sign_in_code.html",
        {"form": form},
        invalid=request.method == "POST",
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reauthenticate(request: HtmxHttpRequest) -> HttpResponse:
    """Enter the password (and a code) again before a sensitive change."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    form = PasswordAndCodeForm(request.POST or None, request=request, user=request.user)
    if request.method == "POST" and form.is_valid():
        session_mark_verified(request)
        return redirect(next_url)
    return render_page(
        request,
        "accounts/reauthenticate.html",
        {"form": form, "next": next_url, "minutes": settings.SESSION_REAUTH_MINUTES},
        invalid=request.method == "POST",
    )


@login_required
@require_http_methods(["GET"])
def security(request: HtmxHttpRequest) -> HttpResponse:
    """The person's own sign-in settings: password and second factor."""
    device = second_factor.second_factor_device(user=request.user)
    recovery = StaticDevice.objects.filter(user=request.user).first() if device else None
    return render_page(
        request,
        "accounts/security.html",
        {
            "device": device,
            "recovery_codes_left": recovery.token_set.count() if recovery else 0,
            "required": second_factor.second_factor_required(user=request.user),
            "email_change": services.email_change_open(user=request.user),
        },
    )


@never_cache
@login_required
@reauth_required
@require_http_methods(["GET", "POST"])
def email_change(request: HtmxHttpRequest) -> HttpResponse:
    """Change one's own email address: confirmed from the new address and the old one."""
    form = EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.email_change_request(
                user=request.user, new_email=form.cleaned_data["new_email"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                f"We sent a confirmation link to {change.new_email} and one to "
                f"{change.old_email}. Your address changes once both are followed, within "
                f"{services.EMAIL_CHANGE_VALID_HOURS} hours.",
            )
            return redirect("accounts:security")
    return render_page(
        request,
        "accounts/email_change.html",
        {"form": form, "valid_hours": services.EMAIL_CHANGE_VALID_HOURS},
        invalid=request.method == "POST",
    )


@login_required
@require_http_methods(["POST"])
def email_change_cancel(request: HttpRequest) -> HttpResponse:
    if services.email_change_cancel(user=request.user):  # type: ignore[arg-type]  # signed in
        messages.success(request, "Email change cancelled; your address stays as it is.")
    return redirect("accounts:security")


@never_cache
@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """Follow a link of an email change (either address's): a button confirms it.

    The link alone proves the mailbox; the button keeps mail scanners that open
    links from confirming on the person's behalf.
    """
    change = services.email_change_find(token=token)
    if change is None or not change.is_usable:
        return render_page(request, "accounts/email_change_invalid.html", {}, status=404)
    side = services.email_change_side(change=change, token=token)
    error_message = ""
    if request.method == "POST":
        try:
            change = services.email_change_confirm(token=token)
        except ValidationError as error:
            error_message = " ".join(error.messages)
        else:
            return render_page(
                request, "accounts/email_change_confirmed.html", {"change": change, "side": side}
            )
    return render_page(
        request,
        "accounts/email_change_confirm.html",
        {"change": change, "side": side, "error_message": error_message},
        invalid=bool(error_message),
    )


@never_cache
@login_required
@reauth_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HtmxHttpRequest) -> HttpResponse:
    """Show the app's secret (QR code and text); a code from the app confirms it."""
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = second_factor.totp_setup_confirm(user=request.user, code=form.cleaned_data["code"])
        if codes is not None:
            # This session now counts as signed in with the second factor.
            session_mark_verified(request)
            second_factor.django_otp_login(request, user=request.user)
            return render_page(request, "accounts/two_factor_recovery_codes.html", {"codes": codes})
        form.add_error("code", "That code is not right. Type the six digits the app shows now.")
    device = second_factor.totp_setup_start(user=request.user)
    return render_page(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": second_factor.totp_qr_svg(device=device),
            "secret": second_factor.totp_secret_text(device=device),
            "replacing": second_factor.second_factor_enabled(user=request.user),
            "required": second_factor.second_factor_required(user=request.user),
        },
        invalid=request.method == "POST",
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_disable(request: HtmxHttpRequest) -> HttpResponse:
    """Remove the second factor: the password and a code now, whatever the session's age."""
    if not second_factor.second_factor_enabled(user=request.user):
        return redirect("accounts:security")
    form = PasswordAndCodeForm(request.POST or None, request=request, user=request.user)
    required = second_factor.second_factor_required(user=request.user)
    if request.method == "POST" and form.is_valid():
        second_factor.second_factor_disable(user=request.user)
        session_mark_verified(request)
        messages.success(request, "Second factor removed. Signing in now needs only your password.")
        return redirect("accounts:security")
    return render_page(
        request,
        "accounts/two_factor_disable.html",
        {"form": form, "required": required},
        invalid=request.method == "POST",
    )


@method_decorator(reauth_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (current password, new one twice, validators), which keeps
    this session signed in and ends every other."""

    form_class = NotifyingPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:security")

    def form_valid(self, form: auth_forms.PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        session_mark_verified(self.request)
        messages.success(
            self.request, "Password changed. You were signed out on every other device."
        )
        return response


password_change = PasswordChangeView.as_view()
