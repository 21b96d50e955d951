"""One path for a packet's edits: the web form and the CRM both go through packet_update.

So both are validated by the same rules, written in one transaction and recorded in
the packet's history the same way; a refused edit, from either side, changes nothing.
"""

import json

import pytest

from handoffs import services
from handoffs.models import HandoffEvent, HandoffItem, HandoffPacket
from tests.conftest import TenantClient, host_of
from tests.handoffs.factories import HandoffPacketFactory
from tests.handoffs.pages import form_values

pytestmark = pytest.mark.django_db

HANDOFFS = "/api/v1/handoffs"


def edit_url(packet) -> str:
    return f"/handoffs/{packet.pk}/edit/"


@pytest.fixture
def packet(sales):
    packet = HandoffPacketFactory(
        filed_by=sales, ready=True, crm_id="SF-0042", deal_name="Hooli rollout"
    )
    packet.refresh_from_db()  # values as stored (a Decimal contract value)
    return packet


@pytest.fixture
def api(tenant, admin_user, sales):
    _, raw = services.api_token_create(name="Salesforce sync", by=admin_user, acts_as=sales)
    return TenantClient(host=host_of(tenant), HTTP_AUTHORIZATION=f"Bearer {raw}")


def crm_body(packet: HandoffPacket, **overrides) -> dict:
    """The packet as the CRM would send it back, with some changes."""
    body = {
        "crm_id": packet.crm_id,
        "deal_name": packet.deal_name,
        "client_name": packet.new_client_name,
        "contract_value": str(packet.contract_value),
        "currency": packet.currency,
        "signed_on": packet.signed_on.isoformat(),
        "requested_start": packet.requested_start.isoformat(),
        "engagement_kind": packet.engagement_kind,
        "discovery_notes": packet.discovery_notes,
        "goals": packet.goals,
        "success_criteria": packet.success_criteria,
        "stakeholders": [
            {"name": s.name, "title": s.title, "email": s.email, "role": s.role}
            for s in packet.stakeholders.all()
        ],
        "items": [{"kind": i.kind, "description": i.description} for i in packet.items.all()],
    }
    return body | overrides


def post(api, body) -> tuple[int, dict]:
    response = api.post(HANDOFFS, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def updates(packet) -> list[tuple[str, str]]:
    return [
        (event.kind, event.note)
        for event in packet.events.exclude(kind=HandoffEvent.Kind.CREATED).order_by("id")
    ]


class TestWebAndCrmShareOnePath:
    def test_a_web_edit_and_a_crm_update_leave_the_same_kind_of_history(
        self, client_for, sales, packet, api
    ):
        seller = client_for(sales)
        data = form_values(seller.get(edit_url(packet))) | {"deal_name": "Hooli, phase 2"}
        assert seller.post(edit_url(packet), data).status_code == 302
        packet.refresh_from_db()

        status, _ = post(api, crm_body(packet, goals="Same-day shipping in both warehouses."))

        assert status == 200
        assert updates(packet) == [
            (HandoffEvent.Kind.UPDATED_BY_API, "Edited in PS Ops."),
            (HandoffEvent.Kind.UPDATED_BY_API, "Sent by the CRM integration “Salesforce sync”."),
        ]
        assert {event.actor for event in packet.events.all()} == {sales}
        # The history says "Updated" for both, with where it came from.
        page = seller.get(packet.get_absolute_url()).content.decode()
        assert "Updated: Edited in PS Ops." in page
        assert "Updated from the CRM" not in page

    def test_saving_the_form_unchanged_records_nothing(self, client_for, sales, packet):
        seller = client_for(sales)
        items_before = list(packet.items.values_list("id", flat=True))

        response = seller.post(edit_url(packet), form_values(seller.get(edit_url(packet))))

        assert response.status_code == 302
        assert updates(packet) == []
        assert list(packet.items.values_list("id", flat=True)) == items_before

    def test_the_crm_sending_what_the_web_saved_changes_nothing(
        self, client_for, sales, packet, api
    ):
        status, _ = post(api, crm_body(packet))

        assert status == 200
        assert updates(packet) == []

    def test_a_web_edit_keeps_the_rows_it_kept_and_deletes_the_rest(
        self, client_for, sales, packet
    ):
        services.packet_update(
            packet=packet,
            by=sales,
            fields={},
            stakeholders=[
                services.StakeholderRow(id=s.pk, name=s.name, role=s.role)
                for s in packet.stakeholders.all()
            ],
            items=[
                *[
                    services.ItemRow(id=i.pk, kind=i.kind, description=i.description)
                    for i in packet.items.all()
                ],
                services.ItemRow(kind="assumption", description="Hooli provides WMS access"),
            ],
        )
        kept = packet.items.first()
        seller = client_for(sales)
        data = form_values(seller.get(edit_url(packet))) | {
            "items-0-description": "Integration with the legacy WMS, both warehouses",
            "items-1-DELETE": "on",
        }

        assert seller.post(edit_url(packet), data).status_code == 302

        assert [(i.pk, i.description) for i in packet.items.all()] == [
            (kept.pk, "Integration with the legacy WMS, both warehouses")
        ]


class TestARefusedEditChangesNothing:
    def test_a_crm_update_with_bad_data_answers_the_same_errors_and_writes_nothing(
        self, sales, packet, api
    ):
        before = crm_body(packet)
        body = crm_body(
            packet,
            deal_name="Renamed",
            items=[{"kind": "deliverable", "description": "New"}],
            stakeholders=[
                {"name": "Dana Reyes", "role": "sponsor"},
                {"name": "Lee Park", "email": "not-an-email"},
            ],
        )

        status, answer = post(api, body)

        assert status == 422
        assert answer == {
            "detail": "Validation failed",
            "errors": {"stakeholders.1.email": ["Enter a valid email address."]},
        }
        packet.refresh_from_db()
        assert crm_body(packet) == before
        assert updates(packet) == []

    def test_a_failure_half_way_through_the_write_rolls_all_of_it_back(
        self, sales, packet, api, monkeypatch
    ):
        before = crm_body(packet)
        items_before = list(packet.items.values_list("id", flat=True))

        def broken_save(item, *args, **kwargs):
            raise RuntimeError("the database went away")

        monkeypatch.setattr(HandoffItem, "save", broken_save)
        with pytest.raises(RuntimeError):
            services.packet_upsert_from_crm(
                client_name=packet.new_client_name,
                fields={"crm_id": packet.crm_id, "deal_name": "Renamed"},
                stakeholders=[],
                items=[services.ItemRow(kind="deliverable", description="New")],
                by=sales,
                integration="Salesforce sync",
            )
        monkeypatch.undo()

        packet.refresh_from_db()
        assert crm_body(packet) == before
        assert list(packet.items.values_list("id", flat=True)) == items_before
        assert updates(packet) == []

    def test_a_client_the_models_refuse_is_keyed_as_the_crm_sent_it(self, packet, api):
        status, answer = post(api, crm_body(packet, client_name="x" * 201))

        assert status == 422
        assert list(answer["errors"]) == ["client_name"]

    def test_a_submitted_packet_is_refused_by_the_service_itself(self, sales, packet):
        services.packet_submit(packet=packet, by=sales, base_url="http://acme.localhost")

        with pytest.raises(services.PacketNotEditable):
            services.packet_update(
                packet=packet, by=sales, fields={"deal_name": "Renamed"}, stakeholders=[], items=[]
            )

        packet.refresh_from_db()
        assert packet.deal_name == "Hooli rollout"
        assert packet.items.count() == 1
