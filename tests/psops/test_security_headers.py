"""Every page is served with the browser protections: a strict CSP, Permissions-Policy,
no framing, and signed-in pages never stored; https deployments redirect and send HSTS."""

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from psops.accounts.models import Role
from tests.conftest import TenantClient, host_of

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def parameterless_get_pages(resolver=None, prefix: str = "", namespace: str = "") -> list[str]:
    """Every named tenant URL that takes no argument, as a path."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace or "") if part)
            found += parameterless_get_pages(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name and not entry.pattern.regex.groups:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            found.append(reverse(name))
    return sorted(set(found))


def assert_protected(response) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_every_page_a_leader_opens_is_protected_and_not_stored(client_for, make_user):
    browser = client_for(make_user(Role.LEADER))
    pages = parameterless_get_pages()
    assert len(pages) > 20  # the walk found the app's pages

    for path in pages:
        response = browser.get(path)
        if response.status_code == 405:  # POST-only actions
            continue
        assert_protected(response)
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path


def test_htmx_fragments_and_error_pages_carry_the_same_headers(client_for, make_user):
    browser = client_for(make_user(Role.LEADER))

    fragment = browser.get(reverse("engagements:engagement_list"), headers=HTMX)
    missing = browser.get("/no-such-page/")

    assert fragment.status_code == 200 and missing.status_code == 404
    for response in (fragment, missing):
        assert_protected(response)
        assert "no-store" in response["Cache-Control"]


def test_pages_for_visitors_are_protected(tenant):
    sign_in = TenantClient(host=host_of(tenant)).get(reverse("accounts:login"))
    landing = Client(HTTP_HOST="localhost").get("/")

    assert sign_in.status_code == landing.status_code == 200
    assert_protected(sign_in)
    assert_protected(landing)


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000)
def test_an_https_deployment_redirects_plain_http_and_sends_hsts(tenant):
    host = host_of(tenant)

    plain = TenantClient(host=host).get(reverse("accounts:login"))
    secure = TenantClient(host=host).get(reverse("accounts:login"), secure=True)
    probe = Client(HTTP_HOST="10.0.0.7").get("/healthz")

    assert plain.status_code == 301
    assert plain["Location"] == f"https://{host}{reverse('accounts:login')}"
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # The load balancer's probe over plain http is answered, not redirected.
    assert probe.status_code in (200, 503)


def test_a_body_over_the_limit_is_refused_before_it_is_read(client_for, sales, settings):
    settings.REQUEST_MAX_BYTES = 1024
    browser = client_for(sales)
    read = []

    class Body:
        """A 200 MB body that records whether anyone read it."""

        def read(self, *args):
            read.append(args)
            return b""

        readline = read

    response = browser.generic(
        "POST",
        reverse("handoffs:packet_create"),
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        **{"wsgi.input": Body()},
    )

    assert response.status_code == 413
    assert "larger than 1.0\xa0KB" in response.content.decode()
    assert read == []
    assert_protected(response)
