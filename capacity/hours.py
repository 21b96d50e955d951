"""Hours a week: what each person can give (capacity) and what the plan asks (allocated).

Shared by the capacity grid, the over-allocation risk, the utilization KPIs and the
check-in comparison, so every place counts a week the same way:

- Weeks start on Monday; a week is keyed by its Monday.
- A person's weekly hours are the organization's default until their latest
  ``WeeklyCapacity`` on or before the week's Monday says otherwise.
- The hours are spread evenly over the person's working days (their
  ``WorkingPattern``'s weekdays, Monday to Friday if they have none); each working
  day inside a time off takes its share away.
- An allocation counts its hours a week for every week it overlaps, pro rata for the
  working days (Monday to Friday) of a partial first or last week.

Each function is a fixed number of queries whatever the number of people and weeks.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from capacity.models import WORKDAYS, Allocation, TimeOff, WeeklyCapacity, WorkingPattern
from psops.accounts.models import OrganizationSettings

Weekly = dict[int, dict[date, Decimal]]  # person id -> Monday -> hours
TWO_PLACES = Decimal("0.01")


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def mondays(first: date, count: int) -> list[date]:
    """``count`` Mondays from the week of ``first``."""
    start = monday_of(first)
    return [start + timedelta(weeks=n) for n in range(count)]


def default_weekly_hours() -> Decimal:
    return Decimal(OrganizationSettings.current().weekly_capacity_hours)


def capacity_hours(*, person_ids: Iterable[int], weeks: list[date]) -> Weekly:
    """Each person's capacity in each of ``weeks`` (Mondays), net of time off."""
    ids = list(person_ids)
    if not ids or not weeks:
        return {}
    first, last = weeks[0], weeks[-1] + timedelta(days=6)
    default = default_weekly_hours()
    changes: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for person_id, starts_on, hours in (
        WeeklyCapacity.objects.filter(person_id__in=ids, starts_on__lte=last)
        .order_by("person_id", "starts_on")
        .values_list("person_id", "starts_on", "hours_per_week")
    ):
        changes[person_id].append((starts_on, hours))
    workdays = {
        person_id: set(days) or set(WORKDAYS)
        for person_id, days in WorkingPattern.objects.filter(person_id__in=ids).values_list(
            "person_id", "weekdays"
        )
    }
    away: dict[int, set[date]] = defaultdict(set)
    for person_id, starts_on, ends_on in TimeOff.objects.filter(
        person_id__in=ids, starts_on__lte=last, ends_on__gte=first
    ).values_list("person_id", "starts_on", "ends_on"):
        day = max(starts_on, first)
        while day <= min(ends_on, last):
            away[person_id].add(day)
            day += timedelta(days=1)

    result: Weekly = {}
    for person_id in ids:
        days = workdays.get(person_id, set(WORKDAYS))
        per_person: dict[date, Decimal] = {}
        for monday in weeks:
            weekly = default
            for starts_on, hours in changes.get(person_id, []):
                if starts_on <= monday:
                    weekly = hours
            working = [monday + timedelta(days=d) for d in sorted(days)]
            present = [day for day in working if day not in away.get(person_id, set())]
            share = weekly * len(present) / len(working) if working else Decimal(0)
            per_person[monday] = share.quantize(TWO_PLACES)
        result[person_id] = per_person
    return result


def _weekdays_between(start: date, end: date) -> int:
    """Monday-to-Friday days from ``start`` to ``end``, both included."""
    count, day = 0, start
    while day <= end:
        count += day.weekday() < 5
        day += timedelta(days=1)
    return count


def allocation_week_hours(
    allocation_hours: Decimal, starts_on: date, ends_on: date, monday: date
) -> Decimal:
    """What an allocation asks of the week of ``monday``: its weekly hours, pro rata
    for the weekdays of that week inside its dates."""
    friday = monday + timedelta(days=4)
    inside = _weekdays_between(max(starts_on, monday), min(ends_on, friday))
    return (allocation_hours * inside / 5).quantize(TWO_PLACES)


def allocated_hours(
    *, person_ids: Iterable[int], weeks: list[date], confirmed_only: bool = False
) -> Weekly:
    """Each person's allocated hours in each of ``weeks``, over all engagements."""
    ids = list(person_ids)
    if not ids or not weeks:
        return {}
    first, last = weeks[0], weeks[-1] + timedelta(days=6)
    allocations = Allocation.objects.filter(
        person_id__in=ids, starts_on__lte=last, ends_on__gte=first, packet__isnull=True
    )
    if confirmed_only:
        allocations = allocations.filter(status=Allocation.Status.CONFIRMED)
    result: Weekly = {person_id: dict.fromkeys(weeks, Decimal("0.00")) for person_id in ids}
    for person_id, hours, starts_on, ends_on in allocations.values_list(
        "person_id", "hours_per_week", "starts_on", "ends_on"
    ):
        for monday in weeks:
            if starts_on <= monday + timedelta(days=6) and ends_on >= monday:
                result[person_id][monday] += allocation_week_hours(
                    hours, starts_on, ends_on, monday
                )
    return result
