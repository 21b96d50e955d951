"""Response headers that protect signed-in pages in the browser.

The Content-Security-Policy (django-csp), Permissions-Policy
(django-permissions-policy), HSTS and the https redirect (Django's
SecurityMiddleware) are configured in settings; this adds what no library does for
us: pages shown to a signed-in person are never stored by the browser or a proxy
(``Cache-Control: no-store``), so the back button after signing out, or the next
user of a shared computer, cannot bring them back.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control


class PrivatePagesNoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            patch_cache_control(response, no_store=True, private=True)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than ``REQUEST_MAX_BYTES`` before reading any of it.

    Django would otherwise receive a 200 MB upload in full (to a temporary file) and
    only then let the form say it is too large. The proxy in front should refuse
    earlier still (nginx: ``client_max_body_size``); this holds without one. A body
    without a Content-Length is not read by Django at all (WSGI), so the header is
    the whole story here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BYTES
        if length > limit:
            return render(
                request,
                "413.html",
                {"limit": limit},
                status=413,
            )
        return self.get_response(request)
