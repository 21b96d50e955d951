"""Planning's writes: what each refuses (changing nothing), and what a packet's
decision does to its tentative demand."""

import datetime
from datetime import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from capacity.models import Allocation, TimeOff, WeeklyCapacity, WorkingPattern
from capacity.planning import services
from capacity.planning.selectors import working_days_text, working_hours_text
from engagements.models import Engagement
from handoffs import services as handoff_services
from handoffs.models import HandoffPacket, HandoffReview
from psops.accounts.models import Role
from tests.capacity.factories import AllocationFactory, DemandFactory, TimeOffFactory
from tests.engagements.factories import EngagementFactory
from tests.factories import UserFactory
from tests.handoffs.factories import HandoffPacketFactory
from tests.handoffs.pages import FULL_MARKS

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
D = datetime.date


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def messages_of(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


# --- Time off ----------------------------------------------------------------------------


def test_a_person_records_their_own_time_off(tenant, consultant):
    away = services.time_off_add(
        person=consultant,
        starts_on=D(2027, 2, 1),
        ends_on=D(2027, 2, 5),
        reason="sick",
        by=consultant,
    )
    assert (away.person, away.reason, away.created_by) == (consultant, "sick", consultant)


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (D(2027, 1, 15), D(2027, 1, 20)),  # starts on the other's last day
        (D(2027, 1, 5), D(2027, 1, 11)),  # ends on its first day
        (D(2027, 1, 12), D(2027, 1, 13)),  # inside
        (D(2027, 1, 1), D(2027, 1, 31)),  # around
    ],
)
def test_time_off_cannot_overlap_the_same_persons(tenant, leader, consultant, starts_on, ends_on):
    TimeOffFactory(person=consultant, starts_on=D(2027, 1, 11), ends_on=D(2027, 1, 15))
    with pytest.raises(ValidationError) as error:
        services.time_off_add(
            person=consultant, starts_on=starts_on, ends_on=ends_on, reason="vacation", by=leader
        )
    assert "already away from 11 Jan 2027 to 15 Jan 2027" in messages_of(error)
    assert TimeOff.objects.count() == 1


def test_someone_elses_time_off_does_not_clash(tenant, leader, consultant):
    TimeOffFactory(person=leader, starts_on=D(2027, 1, 11), ends_on=D(2027, 1, 15))
    services.time_off_add(
        person=consultant,
        starts_on=D(2027, 1, 11),
        ends_on=D(2027, 1, 15),
        reason="vacation",
        by=consultant,
    )
    assert TimeOff.objects.count() == 2


def test_time_off_ending_before_it_starts_is_refused(tenant, consultant):
    with pytest.raises(ValidationError) as error:
        services.time_off_add(
            person=consultant,
            starts_on=D(2027, 1, 15),
            ends_on=D(2027, 1, 14),
            reason="vacation",
            by=consultant,
        )
    assert error.value.message_dict == {"ends_on": ["The time off ends before it starts."]}
    assert not TimeOff.objects.exists()


def test_a_consultant_cannot_record_a_colleagues_time_off(tenant, consultant):
    colleague = UserFactory()
    with pytest.raises(ValidationError):
        services.time_off_add(
            person=colleague,
            starts_on=D(2027, 1, 11),
            ends_on=D(2027, 1, 11),
            reason="vacation",
            by=consultant,
        )
    assert not TimeOff.objects.exists()


# --- Weekly hours and working hours -------------------------------------------------------


@pytest.mark.parametrize("hours", [Decimal("-1"), Decimal("80.5"), Decimal("200")])
def test_weekly_hours_out_of_range_are_refused(tenant, leader, consultant, hours):
    with pytest.raises(ValidationError) as error:
        services.weekly_capacity_set(
            person=consultant, starts_on=D(2027, 1, 4), hours_per_week=hours, by=leader
        )
    assert error.value.message_dict == {"hours_per_week": ["Weekly hours must be from 0 to 80."]}
    assert not WeeklyCapacity.objects.exists()


def test_part_time_from_a_date_replaces_a_change_on_the_same_day(tenant, leader, consultant):
    for hours in (Decimal("32"), Decimal("24")):
        services.weekly_capacity_set(
            person=consultant, starts_on=D(2027, 1, 4), hours_per_week=hours, by=leader
        )
    assert list(WeeklyCapacity.objects.values_list("starts_on", "hours_per_week")) == [
        (D(2027, 1, 4), Decimal("24.0"))
    ]


def test_only_planners_set_weekly_hours(tenant, consultant):
    with pytest.raises(ValidationError):
        services.weekly_capacity_set(
            person=consultant, starts_on=D(2027, 1, 4), hours_per_week=Decimal(20), by=consultant
        )


def test_working_hours_must_end_after_they_start(tenant, consultant):
    with pytest.raises(ValidationError) as error:
        services.working_pattern_set(
            person=consultant, starts_at=time(17), ends_at=time(9), weekdays=[0, 1], by=consultant
        )
    assert error.value.message_dict == {"ends_at": ["The working day must end after it starts."]}
    assert not WorkingPattern.objects.exists()


def test_working_hours_in_words(tenant):
    carlos = UserFactory(full_name="Carlos Silva", time_zone="Europe/Lisbon")
    pattern = WorkingPattern(starts_at=time(9), ends_at=time(17), weekdays=[0, 1, 2, 3])
    assert working_hours_text(carlos, pattern) == (
        "Carlos Silva works 09:00\u201317:00 Europe/Lisbon, not on Fridays"
    )
    assert working_days_text([0, 1, 2, 3, 4]) == "Monday to Friday"
    assert working_days_text([]) == "Monday to Friday"
    assert working_days_text([0, 1, 3]) == "not on Wednesdays or Fridays"
    assert working_days_text([0, 1, 2, 3, 4, 5]) == "also on Saturdays"
    assert working_hours_text(carlos, None) == (
        "Carlos Silva works in Europe/Lisbon (working hours not set)"
    )


# --- Allocations -------------------------------------------------------------------------


@pytest.fixture
def engagement():
    return EngagementFactory(start_date=days(-30), target_end_date=days(60))


def allocate(engagement, by, **changes):
    fields = {
        "engagement": engagement,
        "person": UserFactory(),
        "role": "Architect",
        "hours_per_week": Decimal("20"),
        "starts_on": days(-7),
        "ends_on": days(30),
        "status": Allocation.Status.CONFIRMED,
        "by": by,
    } | changes
    return services.allocation_create(**fields)


def test_a_leader_allocates_a_person(tenant, leader, engagement):
    allocation = allocate(engagement, leader, role="  Architect ")
    assert (allocation.engagement, allocation.role, allocation.created_by) == (
        engagement,
        "Architect",
        leader,
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hours_per_week": Decimal("0")}, "hours_per_week", "more than 0 and at most 80"),
        ({"hours_per_week": Decimal("-4")}, "hours_per_week", "more than 0 and at most 80"),
        ({"hours_per_week": Decimal("80.5")}, "hours_per_week", "more than 0 and at most 80"),
        ({"starts_on": days(10), "ends_on": days(9)}, "ends_on", "ends before it starts"),
        ({"starts_on": days(-31)}, "starts_on", "cannot start before"),
        ({"ends_on": days(61)}, "ends_on", "cannot end after"),
        ({"role": "  "}, "role", "Say what role"),
    ],
)
def test_bad_allocations_are_refused(tenant, leader, engagement, changes, field, message):
    with pytest.raises(ValidationError) as error:
        allocate(engagement, leader, **changes)
    assert message in " ".join(error.value.message_dict[field])
    assert not Allocation.objects.exists()


def test_an_inactive_person_cannot_be_allocated(tenant, leader, engagement):
    gone = UserFactory(is_active=False, full_name="Gone Person")
    with pytest.raises(ValidationError) as error:
        allocate(engagement, leader, person=gone)
    assert "Gone Person cannot be allocated" in error.value.message_dict["person"][0]


def test_an_engagement_without_dates_takes_any_dates(tenant, leader):
    open_ended = EngagementFactory(start_date=None, target_end_date=None)
    allocation = allocate(open_ended, leader, starts_on=D(2020, 1, 1), ends_on=D(2040, 1, 1))
    assert allocation.pk


def test_a_consultant_cannot_allocate(tenant, consultant, engagement):
    with pytest.raises(ValidationError):
        allocate(engagement, consultant)
    assert not Allocation.objects.exists()


def test_updating_checks_the_same_rules_and_changes_nothing_when_refused(
    tenant, leader, engagement
):
    allocation = AllocationFactory(engagement=engagement, starts_on=days(0), ends_on=days(10))
    with pytest.raises(ValidationError):
        services.allocation_update(
            allocation=allocation,
            person=allocation.person,
            role="Lead",
            hours_per_week=Decimal("81"),
            starts_on=days(0),
            ends_on=days(10),
            status="tentative",
            by=leader,
        )
    allocation.refresh_from_db()
    assert (allocation.role, allocation.hours_per_week) == ("Consultant", Decimal("20.0"))
    services.allocation_update(
        allocation=allocation,
        person=allocation.person,
        role="Lead",
        hours_per_week=Decimal("12.5"),
        starts_on=days(1),
        ends_on=days(10),
        status="tentative",
        by=leader,
    )
    allocation.refresh_from_db()
    assert (allocation.role, allocation.hours_per_week, allocation.status) == (
        "Lead",
        Decimal("12.5"),
        "tentative",
    )


def test_deleting_an_allocation(tenant, leader, engagement):
    allocation = AllocationFactory(engagement=engagement)
    services.allocation_delete(allocation=allocation, by=leader)
    assert not Allocation.objects.exists()


# --- Demand on packets and the packet's decision -----------------------------------------


@pytest.fixture
def packet(sales):
    return HandoffPacketFactory(
        filed_by=sales, submitted=True, ready=True, requested_start=days(14)
    )


def test_demand_needs_a_packet_under_review(tenant, leader, sales):
    draft = HandoffPacketFactory(filed_by=sales)
    with pytest.raises(ValidationError) as error:
        services.packet_demand_add(
            packet=draft,
            role="Architect",
            hours_per_week=Decimal(20),
            starts_on=days(14),
            ends_on=days(60),
            by=leader,
        )
    assert "under review" in messages_of(error)
    assert not Allocation.objects.exists()


def test_only_a_leader_or_the_assigned_reviewer_adds_demand(tenant, packet, consultant, leader):
    kwargs = {
        "packet": packet,
        "role": "Architect",
        "hours_per_week": Decimal(20),
        "starts_on": days(14),
        "ends_on": days(60),
    }
    with pytest.raises(ValidationError):
        services.packet_demand_add(by=consultant, **kwargs)
    HandoffPacket.objects.filter(pk=packet.pk).update(assigned_reviewer=consultant)
    packet.refresh_from_db()
    line = services.packet_demand_add(by=consultant, **kwargs)
    assert (line.packet, line.engagement, line.person, line.status) == (
        packet,
        None,
        None,
        "tentative",
    )


def review(packet, leader, decision):
    return handoff_services.packet_review(
        packet=packet,
        by=leader,
        review=handoff_services.ReviewInput(
            decision=decision,
            scores=dict(FULL_MARKS),
            verdicts={item.pk: ("in_scope", "") for item in packet.items.all()},
            comments="Decided.",
            lead=leader,
        ),
        base_url="http://acme.localhost",
    )


def test_accepting_moves_the_demand_to_the_new_engagement_confirmed_and_clipped(
    tenant, packet, leader
):
    architect = UserFactory(role=Role.CONSULTANT)
    early = DemandFactory(packet=packet, person=architect, starts_on=days(0), ends_on=days(40))
    before = DemandFactory(packet=packet, role="Analyst", starts_on=days(0), ends_on=days(6))
    review(packet, leader, HandoffReview.Decision.ACCEPT)
    packet.refresh_from_db()
    engagement = packet.engagement
    assert engagement is not None and engagement.start_date == days(14)
    early.refresh_from_db()
    before.refresh_from_db()
    assert (early.engagement, early.packet, early.status, early.person) == (
        engagement,
        None,
        "confirmed",
        architect,
    )
    assert (early.starts_on, early.ends_on) == (days(14), days(40))
    # Wholly before the start: keeps its length from the engagement's start.
    assert (before.starts_on, before.ends_on) == (days(14), days(20))
    assert not Allocation.objects.filter(packet__isnull=False).exists()


def test_rejecting_drops_the_demand(tenant, packet, leader):
    DemandFactory(packet=packet)
    review(packet, leader, HandoffReview.Decision.REJECT)
    assert not Allocation.objects.exists()


def test_requesting_changes_keeps_the_demand(tenant, packet, leader):
    line = DemandFactory(packet=packet)
    review(packet, leader, HandoffReview.Decision.REQUEST_CHANGES)
    line.refresh_from_db()
    assert (line.packet_id, line.engagement_id, line.status) == (packet.pk, None, "tentative")


def test_a_refused_decision_leaves_the_demand_on_the_packet(tenant, packet, leader):
    line = DemandFactory(packet=packet)
    with pytest.raises(ValidationError):
        review(packet, UserFactory(role=Role.SALES), HandoffReview.Decision.ACCEPT)
    line.refresh_from_db()
    assert line.packet_id == packet.pk
    assert not Engagement.objects.filter(origin_handoff=packet).exists()
