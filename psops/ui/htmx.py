"""One way to answer a page or its htmx partial.

A view renders its page template; for an htmx request aimed at one of the page's
named partials (``{% partialdef %}``) only that partial goes back. Responses always
vary on the htmx headers, so a cache never serves a partial for a full page.

Invalid input answers ``INVALID_STATUS`` (400), full page or partial: the body still
shows the form with its errors. htmx 2 does not swap 4xx responses by default, so
``_base.html`` configures it (``htmx-config`` meta tag, ``responseHandling``) to swap
400 like a 200; every other error status is left unswapped, as htmx does.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from psops.accounts.models import User

INVALID_STATUS = 400
VARY_HEADERS = ("HX-Request", "HX-Target")


class HtmxHttpRequest(HttpRequest):
    """A request after django-htmx's middleware, for type checkers."""

    htmx: HtmxDetails
    # Views taking this request require a signed-in user (role_required).
    user: "User"


def wants_partial(request: HttpRequest, target: str | None = None) -> bool:
    """True for an htmx request (not a boosted page load) aimed at ``target`` if given."""
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.boosted:
        return False
    return target is None or htmx.target == target


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    partial: str | None = None,
    target: str | None = None,
    invalid: bool = False,
    status: int | None = None,
) -> HttpResponse:
    """``template`` in full, or its ``partial`` for an htmx request aimed at ``target``.

    ``target`` defaults to the partial's name (the element id the page swaps);
    ``invalid=True`` answers ``INVALID_STATUS``; ``status`` overrides both.
    """
    name = template
    if partial and wants_partial(request, target if target is not None else partial):
        name = f"{template}#{partial}"
    code = status if status is not None else (INVALID_STATUS if invalid else 200)
    response = render(request, name, context, status=code)
    patch_vary_headers(response, VARY_HEADERS)
    return response


def render_fragment(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    invalid: bool = False,
) -> HttpResponse:
    """A template that only htmx asks for (``"app/page.html#part"``), with the same rules."""
    response = render(request, template, context, status=INVALID_STATUS if invalid else 200)
    patch_vary_headers(response, VARY_HEADERS)
    return response
