"""Saving the packet form while something else changes the packet.

A sales rep's save must not undo what happened to the packet while the request ran:
a submission from another tab keeps its status, round and time, and a CRM update is
neither reverted nor merged into duplicated items. The view locks the packet, checks
again that it may be edited, builds the forms on what the row holds then, and writes
only the form's own fields.
"""

import uuid

import pytest
from axes.models import AccessLog

from engagements.models import Stakeholder
from handoffs import services
from handoffs.forms import PacketForm
from handoffs.models import ApiToken, HandoffItem, HandoffPacket, HandoffStakeholder
from handoffs.views import packets as packet_views
from psops.accounts.models import Role, User
from tests.concurrency import (
    run_on_own_connection,
    start_on_own_connection,
    wait_until_blocked_or_done,
)
from tests.conftest import TenantClient, host_of
from tests.factories import UserFactory
from tests.handoffs.factories import HandoffPacketFactory
from tests.handoffs.pages import form_values

pytestmark = pytest.mark.django_db


def edit_url(packet) -> str:
    return f"/handoffs/{packet.pk}/edit/"


def submit(packet, by) -> None:
    services.packet_submit(packet=packet, by=by, base_url="http://acme.localhost")


@pytest.fixture
def packet(sales):
    return HandoffPacketFactory(filed_by=sales, ready=True, deal_name="Hooli rollout")


@pytest.fixture
def seller(client_for, sales):
    return client_for(sales)


class TestASubmissionDuringTheSave:
    def test_a_packet_submitted_after_the_request_loaded_it_is_not_edited(
        self, seller, sales, packet, monkeypatch
    ):
        data = form_values(seller.get(edit_url(packet))) | {"deal_name": "Hooli, phase 2"}
        load_packet = packet_views.selectors.packet_get

        def loaded_then_submitted_in_another_tab(**arguments):
            loaded = load_packet(**arguments)
            submit(packet, sales)  # the view's copy still says "draft"
            return loaded

        monkeypatch.setattr(
            packet_views.selectors, "packet_get", loaded_then_submitted_in_another_tab
        )

        response = seller.post(edit_url(packet), data)

        assert response.status_code == 302
        assert response["Location"] == packet.get_absolute_url()
        monkeypatch.undo()
        page = seller.get(response["Location"]).content.decode()
        assert "This packet is submitted and cannot be edited now." in page
        packet.refresh_from_db()
        assert packet.deal_name == "Hooli rollout"
        assert packet.status == HandoffPacket.Status.SUBMITTED
        assert packet.review_round == 1
        assert packet.submitted_at is not None

    def test_a_submission_after_the_form_was_read_wins_and_keeps_its_status_round_and_time(
        self, seller, sales, packet, monkeypatch
    ):
        data = form_values(seller.get(edit_url(packet))) | {"deal_name": "Hooli, phase 2"}
        validate = PacketForm.is_valid

        def validated_then_submitted(form):
            valid = validate(form)
            submit(packet, sales)  # the form's instance still says "draft", round 0
            return valid

        monkeypatch.setattr(PacketForm, "is_valid", validated_then_submitted)

        response = seller.post(edit_url(packet), data)

        # The service checks again under its lock: a submitted packet is not edited.
        assert response.status_code == 302
        assert response["Location"] == packet.get_absolute_url()
        packet.refresh_from_db()
        assert packet.deal_name == "Hooli rollout"
        assert packet.status == HandoffPacket.Status.SUBMITTED
        assert packet.review_round == 1
        assert packet.submitted_at is not None
        assert packet.first_submitted_at == packet.submitted_at


# --- A real race with the CRM, on two database connections ---------------------------


def crm_update(packet: HandoffPacket, rep, token):
    return services.packet_upsert_from_crm(
        client_name=packet.new_client_name,
        fields={
            "crm_id": packet.crm_id,
            "deal_name": "Hooli rollout (from the CRM)",
            "success_criteria": "95% same-day shipping by the end of Q1.",
        },
        stakeholders=[services.StakeholderRow(name="Dana Reyes", title="COO", role="sponsor")],
        items=[services.ItemRow(kind="deliverable", description="Sent by the CRM")],
        by=rep,
        integration=token.name,
    )


@pytest.fixture
def committed_draft(tenant):
    """A draft with a CRM id, its rep and an API token, committed; removed afterwards."""
    marker = uuid.uuid4().hex[:12]

    def create():
        rep = UserFactory(role=Role.SALES, email=f"race-{marker}@acme.test")
        token, _ = services.api_token_create(name="Salesforce sync", by=rep, acts_as=rep)
        draft = HandoffPacketFactory(
            filed_by=rep, ready=True, crm_id=f"SF-{marker}", deal_name="Hooli rollout"
        )
        return draft, rep, token

    draft, rep, token = run_on_own_connection(create, tenant=tenant)
    yield draft, rep, token

    def remove():
        AccessLog.objects.filter(username=rep.email).delete()  # signing in is logged
        ApiToken.objects.filter(pk=token.pk).delete()
        HandoffPacket.objects.filter(pk=draft.pk).delete()
        User.objects.filter(pk=rep.pk).delete()

    run_on_own_connection(remove, tenant=tenant)


def test_a_crm_update_racing_the_save_is_neither_undone_nor_duplicated(
    tenant, committed_draft, monkeypatch
):
    draft, rep, token = committed_draft
    crm = {}

    def crm_sends_the_deal():
        return crm_update(draft, rep, token)

    validate_items = packet_views.ItemFormSet.is_valid
    calls = {"depth": 0}

    def items_validated_then_the_crm_sends_the_deal(formset):
        # Validation calls is_valid again from inside; the CRM sends its update once,
        # when the view's own call has returned its answer.
        calls["depth"] += 1
        try:
            valid = validate_items(formset)
        finally:
            calls["depth"] -= 1
        if not calls["depth"] and "update" not in crm:
            crm["update"] = start_on_own_connection(crm_sends_the_deal, tenant=tenant)
            # On once the CRM's update has committed, or waits for a lock this save holds.
            wait_until_blocked_or_done(crm["update"])
        return valid

    def rep_edits_the_packet():
        browser = TenantClient(host=host_of(tenant))
        browser.force_login(rep)
        data = form_values(browser.get(edit_url(draft))) | {
            "goals": "Same-day shipping.",
            "items-0-description": "Integration with the legacy WMS, both warehouses",
        }
        monkeypatch.setattr(
            packet_views.ItemFormSet, "is_valid", items_validated_then_the_crm_sends_the_deal
        )
        response = browser.post(edit_url(draft), data)
        browser.logout()
        return response.status_code

    status = run_on_own_connection(rep_edits_the_packet, tenant=tenant)
    crm["update"].result()

    assert status == 302
    # The CRM's update came second: its items replace the packet's, none come back.
    packet = HandoffPacket.objects.get(pk=draft.pk)
    items = HandoffItem.objects.filter(packet=packet)
    assert [(item.kind, item.description) for item in items] == [
        (HandoffItem.Kind.DELIVERABLE, "Sent by the CRM")
    ]
    stakeholders = HandoffStakeholder.objects.filter(packet=packet)
    assert [(person.name, person.role) for person in stakeholders] == [
        ("Dana Reyes", Stakeholder.Role.SPONSOR)
    ]
    assert packet.deal_name == "Hooli rollout (from the CRM)"
    assert packet.status == HandoffPacket.Status.DRAFT
