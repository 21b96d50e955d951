"""The CRM API's errors: per-field validation, JSON 400/404/409, tokens and tenancy.

Every refusal is JSON, shaped by ``handoffs.api.errors``.
"""

import json

import pytest
from django.db import connection

from handoffs import services
from handoffs.models import (
    HandoffPacket,
)
from psops.accounts.models import Role
from tests.conftest import TenantClient, host_of
from tests.factories import UserFactory
from tests.handoffs.api.crm import HANDOFFS, deal, post

pytestmark = pytest.mark.django_db


# --- Errors -----------------------------------------------------------------------------


def test_invalid_input_gets_per_field_errors_and_files_nothing(api):
    body = deal(
        crm_id="   ",
        currency="DOLLARS",
        contract_value=-5,
        items=[
            {"kind": "deliverable", "description": "Fine"},
            {"kind": "wish", "description": ""},
        ],
        stakeholder=[],  # misspelt: refused rather than ignored
    )
    del body["deal_name"]

    status, answer = post(api, body)

    assert status == 422
    assert answer["detail"] == "Validation failed"
    assert set(answer["errors"]) == {
        "crm_id",
        "deal_name",
        "currency",
        "contract_value",
        "items.1.kind",
        "items.1.description",
        "stakeholder",
    }
    assert answer["errors"]["deal_name"] == ["This field is required."]
    assert "'USD'" in answer["errors"]["currency"][0]
    assert all(isinstance(messages, list) and messages for messages in answer["errors"].values())
    assert not HandoffPacket.objects.exists()


def test_values_the_models_refuse_get_per_field_errors_too(api):
    stakeholders = [
        {"name": "Dana Reyes", "role": "sponsor"},
        {"name": "Lee Park", "email": "not-an-email"},
    ]

    status, answer = post(api, deal(stakeholders=stakeholders))

    assert status == 422
    assert answer == {
        "detail": "Validation failed",
        "errors": {"stakeholders.1.email": ["Enter a valid email address."]},
    }
    assert not HandoffPacket.objects.exists()


def test_a_refused_update_leaves_the_packet_as_it_was(api):
    _, body = post(api, deal())

    status, _ = post(
        api,
        deal(
            deal_name="Renamed",
            items=[{"kind": "deliverable", "description": "New"}],
            stakeholders=[{"name": "X", "email": "broken@"}],
        ),
    )

    assert status == 422
    packet = HandoffPacket.objects.get(pk=body["id"])
    assert packet.deal_name == "Initech warehouse rollout"
    assert packet.items.count() == 2
    assert packet.stakeholders.count() == 2


def test_a_body_that_is_not_json_is_a_json_400(api):
    response = api.post(HANDOFFS, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}


def test_an_unknown_id_is_a_json_404(api):
    response = api.get(f"{HANDOFFS}/987654")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_bad_filter_gets_a_per_field_error(api):
    response = api.get(HANDOFFS, {"status": "lost"})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["status"]


# --- Authentication and tenancy --------------------------------------------------------


def _unauthorized(response) -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": "Send a valid API token: Authorization: Bearer <token>."}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer psops_not-a-real-token", "Basic dXNlcjpwYXNz"],
    ids=["none", "empty", "unknown", "basic"],
)
def test_without_a_valid_token_every_endpoint_is_401(tenant, token_and_raw, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    client = TenantClient(host=host_of(tenant), **extra)

    _unauthorized(client.get(HANDOFFS))
    _unauthorized(client.get(f"{HANDOFFS}/1"))
    _unauthorized(client.post(HANDOFFS, json.dumps(deal()), content_type="application/json"))
    assert not HandoffPacket.objects.exists()


def test_a_revoked_token_is_401(api, token_and_raw):
    assert post(api, deal())[0] == 201
    services.api_token_revoke(token=token_and_raw[0])

    _unauthorized(api.get(HANDOFFS))
    _unauthorized(api.post(HANDOFFS, json.dumps(deal()), content_type="application/json"))


def test_a_token_whose_user_was_deactivated_is_401(api, sales):
    sales.is_active = False
    sales.save(update_fields=["is_active"])

    _unauthorized(api.get(HANDOFFS))


def test_a_token_works_only_on_its_own_organizations_host(tenant, other_tenant):
    connection.set_tenant(other_tenant)
    globex_sales = UserFactory(role=Role.SALES)
    _, globex_raw = services.api_token_create(
        name="Globex CRM", by=globex_sales, acts_as=globex_sales
    )
    connection.set_tenant(tenant)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {globex_raw}"}

    _unauthorized(TenantClient(host=host_of(tenant), **auth).get(HANDOFFS))
    on_acme = TenantClient(host=host_of(tenant), **auth)
    _unauthorized(on_acme.post(HANDOFFS, json.dumps(deal()), content_type="application/json"))
    assert not HandoffPacket.objects.exists()

    # The same token on its own host works: the 401 above is about the tenant.
    on_globex = TenantClient(host=host_of(other_tenant), **auth)
    status, body = post(on_globex, deal())
    assert status == 201
    connection.set_tenant(other_tenant)
    assert HandoffPacket.objects.filter(pk=body["id"], filed_by=globex_sales).exists()
    connection.set_tenant(tenant)


def test_another_organizations_packet_id_is_404(api, tenant, other_tenant):
    connection.set_tenant(other_tenant)
    globex_sales = UserFactory(role=Role.SALES)
    globex_packet = services.packet_create(
        by=globex_sales, deal_name="Globex deal", new_client_name="Hooli"
    )
    connection.set_tenant(tenant)
    assert not HandoffPacket.objects.filter(pk=globex_packet.pk).exists()

    assert api.get(f"{HANDOFFS}/{globex_packet.pk}").status_code == 404
    assert api.get(HANDOFFS).json()["count"] == 0


def test_using_a_token_records_when(api, token_and_raw):
    token = token_and_raw[0]
    assert token.last_used_at is None

    api.get(HANDOFFS)

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_public_host_does_not_serve_the_api(token_and_raw):
    public = TenantClient(host="localhost", HTTP_AUTHORIZATION=f"Bearer {token_and_raw[1]}")

    assert public.get(HANDOFFS).status_code == 404
    assert public.get("/api/v1/openapi.json").status_code == 404
