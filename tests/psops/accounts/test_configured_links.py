"""Emailed links take their address from configuration, never from the request.

The ``Host`` header is the client's to choose: ``acme.localhost:6666`` passes
ALLOWED_HOSTS (``.localhost``) and routes to acme, so a link built from it would
carry a reset token or an invitation to a server of the sender's choosing.
"""

import re

import pytest

from psops.accounts.models import Role
from psops.tenancy.services import organization_base_url
from tests.conftest import TenantClient

pytestmark = pytest.mark.django_db

FORGED_HOST = "acme.localhost:6666"
CONFIGURED = "http://acme.localhost:8000/"
LINK = re.compile(r"https?://[^\s/]+/")


def links_in(message) -> list[str]:
    return LINK.findall(message.body)


def test_the_configured_address_is_the_primary_domain_with_scheme_and_port(tenant):
    assert organization_base_url() == CONFIGURED.rstrip("/")


def test_a_password_reset_asked_with_a_forged_host_links_to_the_configured_address(
    tenant, consultant, mailoutbox, django_capture_on_commit_callbacks
):
    forged = TenantClient(host=FORGED_HOST)

    with django_capture_on_commit_callbacks(execute=True):
        response = forged.post("/accounts/password-reset/", {"email": consultant.email})

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert links_in(mailoutbox[0]) == [CONFIGURED]
    assert "6666" not in mailoutbox[0].body


def test_an_invitation_sent_with_a_forged_host_links_to_the_configured_address(
    tenant, client_for, admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    browser = client_for(admin_user)
    browser.defaults["HTTP_HOST"] = FORGED_HOST

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/settings/users/invite/", {"email": "new@acme.test", "role": Role.CONSULTANT}
        )

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert links_in(mailoutbox[0]) == [CONFIGURED]
