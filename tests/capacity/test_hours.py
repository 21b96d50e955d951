from datetime import date
from decimal import Decimal

import pytest

from capacity.hours import allocated_hours, capacity_hours, capacity_hours_between, mondays
from capacity.models import Allocation, WorkingPattern
from psops.accounts.models import OrganizationSettings
from tests.capacity.factories import AllocationFactory, TimeOffFactory, WeeklyCapacityFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WEEKS = mondays(date(2027, 1, 4), 3)  # 4, 11 and 18 January 2027


def test_the_default_then_a_dated_change_then_time_off(tenant):
    person = UserFactory()
    WeeklyCapacityFactory(person=person, starts_on=date(2027, 1, 11), hours_per_week=32)
    TimeOffFactory(person=person, starts_on=date(2027, 1, 20), ends_on=date(2027, 1, 21))
    hours = capacity_hours(person_ids=[person.pk], weeks=WEEKS)[person.pk]
    assert hours == {
        date(2027, 1, 4): Decimal("40.00"),
        date(2027, 1, 11): Decimal("32.00"),
        date(2027, 1, 18): Decimal("19.20"),  # two of five days away
    }


def test_the_organizations_default_and_a_four_day_week(tenant):
    OrganizationSettings.objects.update_or_create(id=1, defaults={"weekly_capacity_hours": 36})
    person = UserFactory()
    WorkingPattern.objects.create(person=person, weekdays=[0, 1, 2, 3])
    TimeOffFactory(person=person, starts_on=date(2027, 1, 15), ends_on=date(2027, 1, 15))
    hours = capacity_hours(person_ids=[person.pk], weeks=WEEKS[:2])[person.pk]
    # Away on a Friday they do not work: nothing taken away.
    assert hours == {date(2027, 1, 4): Decimal("36.00"), date(2027, 1, 11): Decimal("36.00")}


def test_allocations_add_up_pro_rata_for_partial_weeks(tenant):
    person = UserFactory()
    AllocationFactory(person=person, starts_on=date(2027, 1, 4), ends_on=date(2027, 1, 22))
    AllocationFactory(
        person=person, hours_per_week=10, starts_on=date(2027, 1, 13), ends_on=date(2027, 1, 31)
    )
    AllocationFactory(
        person=person, status=Allocation.Status.TENTATIVE, starts_on=date(2027, 1, 18)
    )
    hours = allocated_hours(person_ids=[person.pk], weeks=WEEKS)[person.pk]
    assert hours == {
        date(2027, 1, 4): Decimal("20.00"),
        date(2027, 1, 11): Decimal("26.00"),  # 20 + 10 x 3/5
        date(2027, 1, 18): Decimal("50.00"),
    }
    confirmed = allocated_hours(person_ids=[person.pk], weeks=WEEKS, confirmed_only=True)
    assert confirmed[person.pk][date(2027, 1, 18)] == Decimal("30.00")


def test_a_fixed_number_of_queries_for_any_number_of_people(tenant, django_assert_max_num_queries):
    people = UserFactory.create_batch(8)
    for person in people:
        AllocationFactory(person=person)
        TimeOffFactory(person=person)
    ids = [p.pk for p in people]
    OrganizationSettings.current()  # the row every organization has after its first page
    with django_assert_max_num_queries(4):
        capacity_hours(person_ids=ids, weeks=mondays(date(2027, 1, 4), 12))
    with django_assert_max_num_queries(1):
        allocated_hours(person_ids=ids, weeks=mondays(date(2027, 1, 4), 12))


def test_capacity_between_two_days_counts_each_working_day_once(tenant):
    person = UserFactory()
    TimeOffFactory(person=person, starts_on=date(2027, 1, 4), ends_on=date(2027, 1, 4))
    # Tuesday 5 to Monday 11 January: 4 working days of 8 h (Monday 4 away is outside).
    assert capacity_hours_between(
        person_ids=[person.pk], start=date(2027, 1, 5), end=date(2027, 1, 11)
    ) == {person.pk: Decimal("40.00")}
    # Monday 4 to Friday 8: one day away.
    assert capacity_hours_between(
        person_ids=[person.pk], start=date(2027, 1, 4), end=date(2027, 1, 8)
    ) == {person.pk: Decimal("32.00")}
