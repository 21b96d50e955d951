"""How long a sign-in counts: the idle timeout, re-authentication and finishing a sign-in.

- **Idle timeout.** A session unused for ``SESSION_IDLE_MINUTES`` is ended at its
  next request (``SessionIdleTimeoutMiddleware``); the person signs in again and is
  told why. The last request's time is written at most once a minute, so a busy
  page does not rewrite its session row on every htmx swap.
- **Re-authentication.** Changing one's password or second factor needs the
  password (and a code, with a second factor) entered within the last
  ``SESSION_REAUTH_MINUTES``: ``@reauth_required`` sends anyone else to
  ``accounts:reauthenticate`` and back. Signing in counts as entering them.
- **Other sessions** end when the password changes: Django keeps a hash of the
  password hash in each session and refuses sessions whose hash no longer matches;
  the view that changes it keeps the current session (``update_session_auth_hash``).
"""

import time
from collections.abc import Callable
from functools import wraps

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.models import Device

from psops.accounts.models import User

VERIFIED_AT_KEY = "psops_verified_at"
LAST_SEEN_KEY = "psops_last_seen"
# The idle clock is written at most this often (seconds).
LAST_SEEN_RESOLUTION = 60


def session_mark_verified(request: HttpRequest) -> None:
    """The person has just proved who they are (password, and code if they have one)."""
    now = int(time.time())
    request.session[VERIFIED_AT_KEY] = now
    request.session[LAST_SEEN_KEY] = now


def session_recently_verified(request: HttpRequest) -> bool:
    verified_at = request.session.get(VERIFIED_AT_KEY)
    window = settings.SESSION_REAUTH_MINUTES * 60
    return verified_at is not None and time.time() - verified_at <= window


def sign_in_complete(
    request: HttpRequest, *, user: User, backend: str, device: Device | None = None
) -> None:
    """Start the signed-in session once every factor the person has was checked."""
    login(request, user, backend=backend)
    if device is not None:
        django_otp.login(request, device)
    session_mark_verified(request)


def reauth_required(view: Callable) -> Callable:
    """Let ``view`` run only for someone who proved who they are a short while ago.

    Use below ``login_required`` (or a role decorator): anonymous visitors sign in
    first, and signing in counts as re-authenticating.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not session_recently_verified(request):
            return redirect_to_login(
                request.get_full_path(), login_url=reverse("accounts:reauthenticate")
            )
        return view(request, *args, **kwargs)

    return wrapped


class SessionIdleTimeoutMiddleware:
    """End a signed-in session that has seen no request for SESSION_IDLE_MINUTES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                messages.info(
                    request,
                    f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes "
                    "without activity. Please sign in again.",
                )
            elif last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
