"""The admins' API token page: list, create (raw value shown once), revoke; others get 403."""

import hashlib
import json

import pytest
from django.contrib.sessions.models import Session
from django.db import connection

from handoffs import services
from handoffs.models import ApiToken
from psops.accounts.models import Role
from tests.conftest import TenantClient, host_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKENS = "/settings/api-tokens/"
CREATE = "/settings/api-tokens/new/"


def revoke_url(token: ApiToken) -> str:
    return f"/settings/api-tokens/{token.pk}/revoke/"


def api_status(tenant, raw: str) -> int:
    client = TenantClient(host=host_of(tenant), HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client.get("/api/v1/handoffs").status_code


@pytest.fixture
def existing(admin_user, sales):
    token, raw = services.api_token_create(name="HubSpot", by=admin_user, acts_as=sales)
    return token, raw


def test_admin_sees_the_tokens_and_the_navigation_link(client_for, admin_user, sales, existing):
    token, raw = existing
    services.api_token_revoke(
        token=services.api_token_create(name="Old Pipedrive", by=admin_user, acts_as=sales)[0]
    )

    response = client_for(admin_user).get(TOKENS)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<a href="/settings/api-tokens/" aria-current="page">API tokens</a>' in page
    assert "HubSpot" in page and f"{token.prefix}…" in page
    assert str(token.acts_as) in page
    assert "Never" in page  # not used yet
    assert "Old Pipedrive" in page and "Revoked" in page
    assert raw not in page
    assert "http://acme.localhost:8000/api/v1/" in page


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(
    client_for, admin_user, sales, tenant
):
    browser = client_for(admin_user)

    response = browser.post(CREATE, {"name": "Salesforce sync", "acts_as": sales.pk})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Copy it now: it won't be shown again." in page
    raw = response.context["raw_token"]
    assert raw.startswith("psops_") and len(raw) > 40
    assert f'value="{raw}"' in page

    token = ApiToken.objects.get(name="Salesforce sync")
    assert (token.created_by, token.acts_as) == (admin_user, sales)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:12]
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert raw not in stored
    assert all(raw not in str(session.get_decoded()) for session in Session.objects.all())

    # Never again: the list does not show it, and the token works for the API.
    assert raw not in browser.get(TOKENS).content.decode()
    assert api_status(tenant, raw) == 200


def test_an_invalid_token_form_is_shown_again_and_creates_nothing(
    client_for, admin_user, consultant
):
    response = client_for(admin_user).post(CREATE, {"name": "  ", "acts_as": consultant.pk})

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["name"] == ["This field is required."]
    assert "acts_as" in form.errors  # a consultant cannot file handoffs
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_at_once(client_for, admin_user, existing, tenant):
    token, raw = existing
    assert api_status(tenant, raw) == 200

    response = client_for(admin_user).post(revoke_url(token), follow=True)

    assert response.redirect_chain == [(TOKENS, 302)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "requests with it are now refused" in response.content.decode()
    assert api_status(tenant, raw) == 401


def test_revoke_is_post_only(client_for, admin_user, existing):
    token, _ = existing

    assert client_for(admin_user).get(revoke_url(token)).status_code == 405
    token.refresh_from_db()
    assert token.is_active


@pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
def test_other_roles_get_403_and_change_nothing(client_for, make_user, sales, existing, role):
    token, _ = existing
    browser = client_for(make_user(role))

    assert browser.get(TOKENS).status_code == 403
    assert browser.post(CREATE, {"name": "Mine", "acts_as": sales.pk}).status_code == 403
    assert browser.post(revoke_url(token)).status_code == 403
    assert ApiToken.objects.count() == 1
    token.refresh_from_db()
    assert token.is_active


def test_only_admins_see_the_navigation_link(client_for, leader):
    page = client_for(leader).get("/").content.decode()

    assert "API tokens" not in page


def test_anonymous_visitors_are_sent_to_sign_in(anonymous_client, existing):
    response = anonymous_client.get(TOKENS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert anonymous_client.post(revoke_url(existing[0])).status_code == 302
    existing[0].refresh_from_db()
    assert existing[0].is_active


def test_another_organizations_admin_cannot_see_or_revoke_these_tokens(
    client_for, existing, tenant, other_tenant
):
    token, _ = existing
    connection.set_tenant(other_tenant)
    globex_admin = UserFactory(role=Role.ADMIN)
    connection.set_tenant(tenant)
    browser = client_for(globex_admin, organization=other_tenant)

    listing = browser.get(TOKENS)
    assert listing.status_code == 200
    assert "HubSpot" not in listing.content.decode()
    assert browser.post(revoke_url(token)).status_code == 404
    token.refresh_from_db()
    assert token.is_active


@pytest.mark.django_db
def test_a_token_stops_working_when_its_user_is_no_longer_in_sales(client_for, admin_user, sales):
    token, raw = services.api_token_create(name="HubSpot", by=admin_user, acts_as=sales)
    assert services.api_token_authenticate(raw=raw) == token

    sales.role = "consultant"
    sales.save()

    assert services.api_token_authenticate(raw=raw) is None
