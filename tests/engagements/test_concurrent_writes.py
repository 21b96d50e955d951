"""Two people changing the same follow-up or escalation at the same moment.

Each change is one transaction that locks the row and reads its status again, so the
second person's request waits for the first, then finds the change made and leaves
the timeline alone. This needs two real database connections: the records are
committed for the test and removed afterwards.
"""

import threading
import uuid

import pytest

from engagements import services
from engagements.models import Activity, Engagement, Escalation, FollowUp
from psops.accounts.models import Role, User
from tests.concurrency import (
    run_on_own_connection,
    start_on_own_connection,
    wait_until_blocked_or_done,
)
from tests.engagements.factories import EngagementFactory, EscalationFactory, FollowUpFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def cancel(record, by):
    return services.followup_cancel(followup=record, by=by)


def resolve(record, by):
    return services.escalation_update(escalation=record, by=by, status=Escalation.Status.RESOLVED)


CHANGES = {
    "cancelling a follow-up": (FollowUp, FollowUpFactory, cancel, "Follow-up cancelled"),
    "resolving an escalation": (Escalation, EscalationFactory, resolve, "Escalation resolved"),
}


@pytest.fixture(params=CHANGES.values(), ids=CHANGES.keys())
def committed(request, tenant):
    """The record to change, its engagement and two leaders, committed; removed afterwards."""
    model, factory, change, summary = request.param
    marker = uuid.uuid4().hex[:12]

    def create():
        grace, alan = (
            UserFactory(role=Role.LEADER, email=f"{name}-{marker}@acme.test")
            for name in ("grace", "alan")
        )
        engagement = EngagementFactory(lead=grace, name=f"Rollout {marker}")
        return factory(engagement=engagement, title="Go-live"), grace, alan

    record, grace, alan = run_on_own_connection(create, tenant=tenant)
    yield model, record, change, summary, grace, alan

    def remove():
        engagement = Engagement.objects.get(pk=record.engagement_id)
        client = engagement.client
        engagement.delete()
        client.delete()
        User.objects.filter(pk__in=[grace.pk, alan.pk]).delete()

    run_on_own_connection(remove, tenant=tenant)


def test_the_second_of_two_simultaneous_identical_changes_adds_nothing(
    tenant, committed, monkeypatch
):
    model, record, change, summary, grace, alan = committed
    # Both people loaded the page while it was still open.
    seen_by_grace = model.objects.get(pk=record.pk)
    seen_by_alan = model.objects.get(pk=record.pk)
    first_wrote = threading.Event()
    first_may_commit = threading.Event()
    record_activity = services.activity_record

    def recorded_then_held_until_told(**entry):
        activity = record_activity(**entry)
        if entry["actor"] == grace:
            # Grace's change is written but not committed yet when Alan's arrives.
            first_wrote.set()
            assert first_may_commit.wait(timeout=30)
        return activity

    monkeypatch.setattr(services, "activity_record", recorded_then_held_until_told)

    first = start_on_own_connection(lambda: change(seen_by_grace, grace), tenant=tenant)
    assert first_wrote.wait(timeout=30)
    second = start_on_own_connection(lambda: change(seen_by_alan, alan), tenant=tenant)
    wait_until_blocked_or_done(second)
    first_may_commit.set()
    first.result()
    second.result()

    entries = Activity.objects.filter(engagement_id=record.engagement_id)
    assert [(entry.summary, entry.actor_id) for entry in entries] == [
        (f"{summary}: Go-live", grace.pk)
    ]
