"""What the CRM API refuses, and that every refusal or failure on its paths is JSON.

Text with a NUL character, pages out of bounds, dates that are not ISO text: each is a
422 naming the field, never a 500. Whatever else goes wrong on an API path (a bug, an
unknown path, another method, a body too large) is the documented JSON as well, and
every status an operation can answer is in the OpenAPI schema.
"""

import json

import pytest
from django.test import override_settings

from handoffs import services
from handoffs.models import HandoffPacket
from tests.conftest import TenantClient, host_of
from tests.handoffs.api.crm import HANDOFFS, deal, post

pytestmark = pytest.mark.django_db

NUL = "\u0000"


def _refused(response, *fields: str) -> dict:
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    assert answer["detail"] == "Validation failed"
    assert set(answer["errors"]) == set(fields)
    return answer


# --- Text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"crm_id": f"SF{NUL}1"}, "crm_id"),
        ({"goals": f"Ship{NUL}"}, "goals"),
        ({"items": [{"kind": "deliverable", "description": f"WMS{NUL}"}]}, "items.0.description"),
        ({"stakeholders": [{"name": f"Dana{NUL}", "role": "sponsor"}]}, "stakeholders.0.name"),
    ],
    ids=["crm_id", "goals", "item", "stakeholder"],
)
def test_a_nul_character_in_any_text_is_refused_naming_the_field(api, overrides, field):
    response = api.post(HANDOFFS, json.dumps(deal(**overrides)), content_type="application/json")

    answer = _refused(response, field)
    assert "NUL" in answer["errors"][field][0]
    assert not HandoffPacket.objects.exists()


def test_a_nul_character_in_a_filter_is_refused_naming_it(api):
    _refused(api.get(HANDOFFS, {"crm_id": f"SF{NUL}1"}), "crm_id")


def test_the_schema_tells_clients_that_text_holds_no_nul(tenant):
    schema = TenantClient(host=host_of(tenant)).get("/api/v1/openapi.json").json()
    packet = schema["components"]["schemas"]["PacketIn"]["properties"]

    assert packet["goals"]["pattern"] == "^[^\\u0000]*$"
    # Required text must hold more than whitespace, and no NUL either.
    assert packet["crm_id"]["pattern"] == "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


# --- Pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"offset": 2**63}, "offset"),
        ({"offset": 10**30}, "offset"),
        ({"offset": -1}, "offset"),
        ({"limit": -1}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": 2**64}, "limit"),
    ],
    ids=[
        "offset-2^63",
        "offset-huge",
        "offset-negative",
        "limit-negative",
        "limit-0",
        "limit-101",
        "limit-huge",
    ],
)
def test_a_page_out_of_bounds_is_refused_naming_the_parameter(api, params, field):
    _refused(api.get(HANDOFFS, params), field)


def test_the_largest_page_and_offset_allowed_answer(api):
    post(api, deal())

    deep = api.get(HANDOFFS, {"limit": 100, "offset": 1_000_000_000})
    first = api.get(HANDOFFS, {"limit": 100, "offset": 0})

    assert deep.status_code == 200
    assert deep.json() == {"items": [], "count": 1}
    assert first.json()["count"] == 1


# --- Dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1700000000, "1700000000", "2026-10-01T00:00:00", True])
def test_a_date_is_only_iso_text(api, value):
    response = api.post(
        HANDOFFS, json.dumps(deal(signed_on=value)), content_type="application/json"
    )

    _refused(response, "signed_on")
    assert not HandoffPacket.objects.exists()


@pytest.mark.parametrize("value", [-1, 1.5, "12.345", "1e5", " 12", True])
def test_a_contract_value_is_a_decimal_text_or_a_whole_number(api, value):
    response = api.post(
        HANDOFFS, json.dumps(deal(contract_value=value)), content_type="application/json"
    )

    _refused(response, "contract_value")


@pytest.mark.parametrize(("value", "stored"), [("120000.50", "120000.50"), (120000, "120000.00")])
def test_a_contract_value_as_text_or_whole_number_is_taken(api, value, stored):
    status, body = post(api, deal(contract_value=value))

    assert status == 201
    assert body["contract_value"] == stored


# --- Failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_an_unexpected_error_is_the_documented_json_500(tenant, token_and_raw, monkeypatch, debug):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "packet_upsert_from_crm", broken)
    client = TenantClient(
        host=host_of(tenant),
        HTTP_AUTHORIZATION=f"Bearer {token_and_raw[1]}",
        raise_request_exception=False,
    )

    with override_settings(DEBUG=debug):
        response = client.post(HANDOFFS, json.dumps(deal()), content_type="application/json")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Server error. It has been logged; try again later."}
    assert b"secret internals" not in response.content


def test_another_method_is_a_json_405_saying_which_are_allowed(api):
    response = api.delete(HANDOFFS)

    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert response.json() == {"detail": "Method not allowed."}


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", f"{HANDOFFS}/1/items"])
def test_an_unknown_api_path_is_a_json_404(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@override_settings(REQUEST_MAX_BYTES=1000)
def test_a_body_too_large_is_a_json_413(api):
    body = json.dumps(deal(goals="x" * 2000))

    response = api.post(HANDOFFS, body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 1000 bytes."}
    assert not HandoffPacket.objects.exists()


def test_the_web_pages_keep_their_html_error_pages(anonymous_client):
    response = anonymous_client.get("/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_every_status_an_operation_answers_is_in_the_schema(tenant):
    schema = TenantClient(host=host_of(tenant)).get("/api/v1/openapi.json").json()
    documented = {
        (path, method): set(operation["responses"])
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }

    assert documented == {
        ("/api/v1/handoffs", "get"): {"200", "401", "413", "422", "500"},
        ("/api/v1/handoffs", "post"): {"200", "201", "400", "401", "409", "413", "422", "500"},
        ("/api/v1/handoffs/{packet_id}", "get"): {"200", "401", "404", "413", "422", "500"},
    }


@pytest.mark.parametrize("packet_id", [0, -1, 2**63, 10**30])
def test_a_packet_id_out_of_range_is_refused_naming_it(api, packet_id):
    _refused(api.get(f"{HANDOFFS}/{packet_id}"), "packet_id")
