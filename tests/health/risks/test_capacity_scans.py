"""The over-allocation and budget burn scans (capacity's plan and actuals)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from capacity.hours import monday_of
from health.models import Risk
from health.risks.scans import risk_scan_budget_burn, risk_scan_over_allocation
from health.risks.selectors import risks_visible_to
from psops.accounts.models import Notification, Role
from tests.capacity.factories import AllocationFactory, EffortEntryFactory, TimeOffFactory
from tests.engagements.factories import EngagementFactory
from tests.factories import UserFactory
from tests.health.risks.test_scans import assert_constant_queries, assert_second_run_changes_nothing

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
MONDAY = monday_of(TODAY)


def over_allocated(person=None, weeks=3, hours=30):
    person = person or UserFactory()
    engagement = EngagementFactory(
        start_date=MONDAY - datetime.timedelta(days=7),
        target_end_date=MONDAY + datetime.timedelta(weeks=20),
    )
    for _ in range(2):  # 2 x 30 h a week against 40 h
        AllocationFactory(
            person=person,
            engagement=engagement,
            hours_per_week=hours,
            starts_on=MONDAY,
            ends_on=MONDAY + datetime.timedelta(weeks=weeks, days=-3),
        )
    return person


class TestOverAllocation:
    def test_two_weeks_over_capacity_is_a_risk_for_the_leaders_and_the_manager(
        self, tenant, leader, make_user
    ):
        manager = make_user(Role.CONSULTANT)
        person = over_allocated(UserFactory(manager=manager, full_name="Carla Reyes"))
        result = risk_scan_over_allocation(now=NOW)
        [risk] = result.current.values()
        assert risk.title == "Carla Reyes is over-allocated in 3 weeks"
        assert risk.severity == Risk.Severity.HIGH  # 60 h of 40
        assert "60 h allocated of 40 h capacity" in risk.evidence
        assert risk.projected_date == MONDAY
        told = set(Notification.objects.values_list("recipient_id", flat=True))
        assert told == {leader.pk, manager.pk}
        # The manager (a consultant on none of its engagements) and leaders see it;
        # another consultant and the person's colleagues do not.
        assert risks_visible_to(manager).filter(pk=risk.pk).exists()
        assert risks_visible_to(leader).filter(pk=risk.pk).exists()
        assert not risks_visible_to(make_user(Role.CONSULTANT)).filter(pk=risk.pk).exists()
        assert not risks_visible_to(person).filter(pk=risk.pk).exists()

    def test_one_week_over_or_time_off_that_makes_room_are_not(self, tenant):
        over_allocated(weeks=1)
        person = UserFactory()
        AllocationFactory(
            person=person,
            hours_per_week=36,
            starts_on=MONDAY,
            ends_on=MONDAY + datetime.timedelta(weeks=4),
        )
        assert risk_scan_over_allocation(now=NOW).current == {}
        # A week away turns 36 h into more than capacity that week, and the next.
        TimeOffFactory(
            person=person, starts_on=MONDAY, ends_on=MONDAY + datetime.timedelta(days=11)
        )
        [risk] = risk_scan_over_allocation(now=NOW).current.values()
        assert risk.subject_key == f"user:{person.pk}"
        assert "Vacation" not in risk.evidence and "away" not in risk.evidence

    def test_resolves_when_the_plan_fits(self, tenant):
        person = over_allocated()
        risk_scan_over_allocation(now=NOW)
        person.allocations.first().delete()
        risk_scan_over_allocation(now=NOW)
        assert list(Risk.objects.values_list("status", flat=True)) == ["resolved"]

    def test_twice_changes_nothing(self, tenant, leader):
        over_allocated()
        assert_second_run_changes_nothing(risk_scan_over_allocation)

    def test_queries_do_not_grow_with_people(self, tenant, leader):
        assert_constant_queries(risk_scan_over_allocation, over_allocated)


def burning(budget=100):
    engagement = EngagementFactory(
        budget_hours=budget, target_end_date=TODAY + datetime.timedelta(weeks=8)
    )
    for days_ago in (1, 8, 15, 22):
        EffortEntryFactory(
            engagement=engagement, worked_on=TODAY - datetime.timedelta(days=days_ago), hours=10
        )
    return engagement


class TestBudgetBurn:
    def test_a_forecast_past_the_budget_tells_the_lead(self, tenant):
        engagement = burning()
        [risk] = risk_scan_budget_burn(now=NOW).current.values()
        assert risk.engagement_id == engagement.pk
        assert "40 h of 100 h logged (40%)" in risk.evidence
        assert "120 h forecast" in risk.evidence  # 40 + 8 weeks x 10
        assert risk.severity == Risk.Severity.MEDIUM
        assert list(Notification.objects.values_list("recipient_id", flat=True)) == [
            engagement.lead_id
        ]

    def test_within_budget_or_without_one_is_no_risk(self, tenant):
        burning(budget=500)
        engagement = burning()
        engagement.budget_hours = None
        engagement.save()
        assert risk_scan_budget_burn(now=NOW).current == {}

    def test_over_the_budget_already_is_high_and_a_raised_budget_resolves_it(self, tenant):
        engagement = burning(budget=30)
        [risk] = risk_scan_budget_burn(now=NOW).current.values()
        assert risk.severity == Risk.Severity.HIGH
        engagement.budget_hours = 1000
        engagement.save()
        risk_scan_budget_burn(now=NOW)
        risk.refresh_from_db()
        assert risk.status == Risk.Status.RESOLVED

    def test_twice_changes_nothing(self, tenant):
        burning()
        assert_second_run_changes_nothing(risk_scan_budget_burn)

    def test_queries_do_not_grow_with_engagements(self, tenant):
        assert_constant_queries(risk_scan_budget_burn, burning)


def test_hours_are_decimals_in_the_evidence(tenant):
    over_allocated(hours=Decimal("22.5"))
    [risk] = risk_scan_over_allocation(now=NOW).current.values()
    assert "45 h allocated of 40 h capacity" in risk.evidence
