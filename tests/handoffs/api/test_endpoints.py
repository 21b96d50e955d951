"""The CRM API's endpoints (/api/v1/): idempotent filing, updates, reads, schema.

Requests go through the test client on the tenant's host with a real bearer token,
so the tenant middleware, the token lookup in the host's schema and ninja's
parsing all run as in production.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engagements.models import Engagement
from handoffs import services
from handoffs.models import (
    CHECKLIST,
    HandoffEvent,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffStakeholder,
    HandoffVerdict,
    Verdict,
)
from psops.accounts.models import Role
from tests.conftest import TenantClient, host_of
from tests.engagements.factories import ClientFactory
from tests.handoffs.api.crm import HANDOFFS, deal, post, review, submit

pytestmark = pytest.mark.django_db


# --- Filing and updating ----------------------------------------------------------------


def test_post_files_a_draft_as_the_tokens_user(api, sales):
    status, body = post(api, deal())

    assert status == 201
    packet = HandoffPacket.objects.get(pk=body["id"])
    assert packet.crm_id == "SF-0001"
    assert packet.status == HandoffPacket.Status.DRAFT
    assert packet.filed_by == sales
    assert packet.client is None and packet.new_client_name == "Initech Logistics"
    assert [(i.kind, i.description) for i in packet.items.all()] == [
        ("deliverable", "Integration with the legacy WMS"),
        ("commitment", "Go-live before Black Friday"),
    ]
    assert [(s.name, s.role) for s in packet.stakeholders.all()] == [
        ("Dana Reyes", "sponsor"),
        ("Lee Park", "champion"),
    ]
    assert list(packet.events.values_list("kind", flat=True)) == [HandoffEvent.Kind.CREATED]
    assert body["status"] == "draft"
    assert body["contract_value"] == "120000.00"
    assert body["filed_by"] == sales.email
    assert body["web_url"] == f"http://acme.localhost:8000/handoffs/{packet.pk}/"
    assert body["missing_for_submission"] == []


def test_an_existing_client_is_matched_regardless_of_case(api):
    client = ClientFactory(name="Initech Logistics")

    status, body = post(api, deal(client_name="  initech LOGISTICS "))

    assert status == 201
    packet = HandoffPacket.objects.get(pk=body["id"])
    assert packet.client == client
    assert packet.new_client_name == ""
    assert body["client_id"] == client.pk
    assert body["client_name"] == "Initech Logistics"


def test_the_same_request_twice_files_one_packet(api):
    first_status, first = post(api, deal())
    second_status, second = post(api, deal())

    assert (first_status, second_status) == (201, 200)
    assert second["id"] == first["id"]
    assert HandoffPacket.objects.filter(crm_id="SF-0001").count() == 1
    # Nothing changed, so nothing was rewritten: same item rows, no history entry.
    assert [item["id"] for item in second["items"]] == [item["id"] for item in first["items"]]
    assert not HandoffEvent.objects.filter(kind=HandoffEvent.Kind.UPDATED_BY_API).exists()


def test_an_update_replaces_fields_stakeholders_and_items(api, sales):
    _, first = post(api, deal())

    status, body = post(
        api,
        deal(
            deal_name="Initech rollout, phase 1",
            contract_value=90000,
            stakeholders=[{"name": "Sam Ortiz", "role": "decision_maker"}],
            items=[{"kind": "assumption", "description": "Initech provides WMS access"}],
        ),
    )

    assert status == 200
    assert body["id"] == first["id"]
    packet = HandoffPacket.objects.get(pk=first["id"])
    assert packet.deal_name == "Initech rollout, phase 1"
    assert packet.contract_value == 90000
    assert [(i.kind, i.description) for i in packet.items.all()] == [
        ("assumption", "Initech provides WMS access")
    ]
    assert [(s.name, s.role) for s in packet.stakeholders.all()] == [
        ("Sam Ortiz", "decision_maker")
    ]
    assert HandoffItem.objects.filter(packet=packet).count() == 1
    assert HandoffStakeholder.objects.filter(packet=packet).count() == 1
    event = packet.events.get(kind=HandoffEvent.Kind.UPDATED_BY_API)
    assert event.actor == sales
    assert "Salesforce sync" in event.note
    # What the CRM sees back: no sponsor, no deliverable any more.
    assert body["missing_for_submission"] == [
        "at least one deliverable",
        "a sponsor among the stakeholders",
    ]


def test_a_packet_sent_back_for_changes_can_be_updated(api, sales, leader):
    _, body = post(api, deal())
    packet = HandoffPacket.objects.get(pk=body["id"])
    submit(packet, sales)
    verdicts = {item.pk: (Verdict.UNCLEAR, "Which WMS version?") for item in packet.items.all()}
    review(packet, leader, HandoffReview.Decision.REQUEST_CHANGES, verdicts, "Name the WMS.")

    status, body = post(api, deal(discovery_notes="Legacy WMS is Manhattan 2019."))

    assert status == 200
    packet.refresh_from_db()
    assert packet.status == HandoffPacket.Status.CHANGES_REQUESTED
    assert packet.discovery_notes == "Legacy WMS is Manhattan 2019."


@pytest.mark.parametrize(
    "status",
    [HandoffPacket.Status.SUBMITTED, HandoffPacket.Status.ACCEPTED, HandoffPacket.Status.REJECTED],
)
def test_a_packet_no_longer_editable_is_409_and_unchanged(api, status):
    _, body = post(api, deal())
    HandoffPacket.objects.filter(pk=body["id"]).update(status=status)

    code, answer = post(api, deal(deal_name="Renamed", items=[]))

    assert code == 409
    assert answer == {
        "detail": f"This deal's handoff packet is {HandoffPacket.Status(status).label.lower()} "
        "and can no longer be changed from the CRM."
    }
    packet = HandoffPacket.objects.get(pk=body["id"])
    assert packet.deal_name == "Initech warehouse rollout"
    assert packet.items.count() == 2


def test_a_really_submitted_packet_is_409(api, sales):
    _, body = post(api, deal())
    submit(HandoffPacket.objects.get(pk=body["id"]), sales)

    code, answer = post(api, deal(goals="Changed after submission"))

    assert code == 409
    assert "submitted" in answer["detail"]
    assert (
        HandoffPacket.objects.get(pk=body["id"]).goals == "Ship every order the day it is placed."
    )


# --- Reading ----------------------------------------------------------------------------


def test_list_shows_every_packet_of_the_organization_with_filters(api, make_user):
    other_rep = make_user(Role.SALES)
    by_hand = services.packet_create(
        by=other_rep, deal_name="Filed in the UI", new_client_name="Hooli"
    )
    post(api, deal(crm_id="SF-1"))
    post(api, deal(crm_id="SF-2", deal_name="Second"))
    HandoffPacket.objects.filter(crm_id="SF-2").update(status=HandoffPacket.Status.SUBMITTED)

    everything = api.get(HANDOFFS).json()
    assert everything["count"] == 3
    assert [p["deal_name"] for p in everything["items"]] == [
        "Second",
        "Initech warehouse rollout",
        "Filed in the UI",
    ]
    assert everything["items"][2]["id"] == by_hand.pk

    submitted = api.get(HANDOFFS, {"status": "submitted"}).json()
    assert [p["crm_id"] for p in submitted["items"]] == ["SF-2"]
    by_crm_id = api.get(HANDOFFS, {"crm_id": "SF-1"}).json()
    assert [p["crm_id"] for p in by_crm_id["items"]] == ["SF-1"]

    page = api.get(HANDOFFS, {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3
    assert [p["deal_name"] for p in page["items"]] == ["Initech warehouse rollout"]


def test_detail_and_list_show_the_review_outcome(api, sales, leader):
    _, body = post(api, deal())
    packet = HandoffPacket.objects.get(pk=body["id"])
    integration, commitment = packet.items.all()
    submit(packet, sales)
    review(
        packet,
        leader,
        HandoffReview.Decision.REQUEST_CHANGES,
        {
            integration.pk: (Verdict.NEEDS_CUSTOM_WORK, "The WMS has no API."),
            commitment.pk: (Verdict.IN_SCOPE, ""),
        },
        "Price the WMS work.",
    )
    packet.refresh_from_db()
    submit(packet, sales)
    review(
        packet,
        leader,
        HandoffReview.Decision.ACCEPT,
        {
            integration.pk: (Verdict.IN_SCOPE, "Priced as a change order."),
            commitment.pk: (Verdict.UNCLEAR, "Which Black Friday: this year's?"),
        },
    )
    packet.refresh_from_db()
    engagement = Engagement.objects.get(origin_handoff=packet)

    detail = api.get(f"{HANDOFFS}/{packet.pk}").json()

    assert detail["status"] == "accepted"
    assert detail["review_round"] == 2
    assert detail["surprise_count"] == 2  # one surprise per item, in different rounds
    assert detail["engagement_id"] == engagement.pk
    assert detail["client_id"] == packet.client_id  # the new client was created on acceptance
    assert detail["missing_for_submission"] == []
    assert [(i["id"], i["latest_verdict"]) for i in detail["items"]] == [
        (integration.pk, {"round": 2, "verdict": "in_scope", "note": "Priced as a change order."}),
        (
            commitment.pk,
            {"round": 2, "verdict": "unclear", "note": "Which Black Friday: this year's?"},
        ),
    ]
    assert [s["name"] for s in detail["stakeholders"]] == ["Dana Reyes", "Lee Park"]

    listed = api.get(HANDOFFS).json()["items"][0]
    assert {key: listed[key] for key in ("id", "status", "surprise_count", "engagement_id")} == {
        "id": packet.pk,
        "status": "accepted",
        "surprise_count": 2,
        "engagement_id": engagement.pk,
    }
    assert listed["items"] == detail["items"]


def test_an_item_never_reviewed_has_no_verdict(api):
    _, body = post(api, deal())

    detail = api.get(f"{HANDOFFS}/{body['id']}").json()

    assert [item["latest_verdict"] for item in detail["items"]] == [None, None]
    assert detail["surprise_count"] == 0
    assert detail["engagement_id"] is None


FEW = 3
MANY = 10 * FEW


def _add_reviewed_packets(start: int, stop: int, *, by, reviewer) -> None:
    """Packets with every relation the list shows: client, items, stakeholders, verdicts."""
    client = ClientFactory()
    for number in range(start, stop):
        packet = HandoffPacket.objects.create(
            deal_name=f"Deal {number:04d}",
            crm_id=f"SF-{number:04d}",
            client=client,
            filed_by=by,
            status=HandoffPacket.Status.CHANGES_REQUESTED,
            review_round=1,
        )
        HandoffStakeholder.objects.create(packet=packet, name=f"Sponsor {number}", role="sponsor")
        items = [
            HandoffItem.objects.create(packet=packet, kind="deliverable", description=f"D{number}"),
            HandoffItem.objects.create(packet=packet, kind="assumption", description=f"A{number}"),
        ]
        round_one = HandoffReview.objects.create(
            packet=packet,
            round=1,
            reviewer=reviewer,
            decision=HandoffReview.Decision.REQUEST_CHANGES,
            comments="Clarify",
            submitted_at=timezone.now() - timedelta(days=1),
            **dict.fromkeys((name for name, _ in CHECKLIST), 1),
        )
        for item in items:
            HandoffVerdict.objects.create(
                review=round_one,
                item=item,
                item_kind=item.kind,
                item_description=item.description,
                verdict=Verdict.UNCLEAR,
                note="Say more",
            )


def _list_queries(client) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HANDOFFS, {"limit": 100})
    assert response.status_code == 200
    return len(queries), response.json()


def test_the_list_runs_the_same_queries_for_few_and_many_packets(api, sales, leader):
    _add_reviewed_packets(0, FEW, by=sales, reviewer=leader)
    with_few, few = _list_queries(api)
    assert few["count"] == FEW
    assert all(item["latest_verdict"]["verdict"] == "unclear" for item in few["items"][0]["items"])

    _add_reviewed_packets(FEW, MANY, by=sales, reviewer=leader)
    with_many, many = _list_queries(api)

    assert len(many["items"]) == MANY
    assert all(packet["surprise_count"] == 2 for packet in many["items"])
    assert with_many == with_few
    # Token lookup and its last-used stamp, count, packets, stakeholders, items,
    # verdicts; plus the host's domain and search_path settings: well under 20.
    assert with_many <= 20


# --- Schema -----------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_endpoints(tenant):
    # Served without a token: it describes the API, it holds no data.
    response = TenantClient(host=host_of(tenant)).get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]["/api/v1/handoffs"]) == {"get", "post"}
    assert set(schema["paths"]["/api/v1/handoffs/{packet_id}"]) == {"get"}
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    post_responses = schema["paths"]["/api/v1/handoffs"]["post"]["responses"]
    assert {"200", "201", "401", "409", "422"} <= set(post_responses)
    # Clients generated from the schema name their methods after these: stable.
    operations = {
        (path, method): operation["operationId"]
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert operations == {
        ("/api/v1/handoffs", "get"): "handoffs_api_handoff_list",
        ("/api/v1/handoffs", "post"): "handoffs_api_handoff_upsert",
        ("/api/v1/handoffs/{packet_id}", "get"): "handoffs_api_handoff_detail",
    }


def test_stakeholder_emails_are_stored_in_one_spelling_so_a_case_change_changes_nothing(api):
    post(api, deal())
    shouting = deal()
    shouting["stakeholders"][0]["email"] = "  DANA@Initech.TEST "

    status, body = post(api, shouting)

    assert status == 200
    assert body["stakeholders"][0]["email"] == "dana@initech.test"
    assert not HandoffEvent.objects.filter(kind=HandoffEvent.Kind.UPDATED_BY_API).exists()
