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
HOURS_PER_DAY = Decimal("8")  # a day of effort, where advice is offered in days


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def mondays(first: date, count: int) -> list[date]:
    """``count`` Mondays from the week of ``first``."""
    start = monday_of(first)
    return [start + timedelta(weeks=n) for n in range(count)]


def default_weekly_hours() -> Decimal:
    return Decimal(OrganizationSettings.current().weekly_capacity_hours)


def _daily_capacity(*, person_ids: list[int], first: date, last: date) -> Weekly:
    """Each person's hours on each working day from ``first`` to ``last``: their weekly
    hours of that day's week over their working days; nothing on a day away."""
    default = default_weekly_hours()
    changes: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for person_id, starts_on, hours in (
        WeeklyCapacity.objects.filter(person_id__in=person_ids, starts_on__lte=last)
        .order_by("person_id", "starts_on")
        .values_list("person_id", "starts_on", "hours_per_week")
    ):
        changes[person_id].append((starts_on, hours))
    workdays = {
        person_id: set(days) or set(WORKDAYS)
        for person_id, days in WorkingPattern.objects.filter(person_id__in=person_ids).values_list(
            "person_id", "weekdays"
        )
    }
    away: dict[int, set[date]] = defaultdict(set)
    for person_id, starts_on, ends_on in TimeOff.objects.filter(
        person_id__in=person_ids, starts_on__lte=last, ends_on__gte=first
    ).values_list("person_id", "starts_on", "ends_on"):
        day = max(starts_on, first)
        while day <= min(ends_on, last):
            away[person_id].add(day)
            day += timedelta(days=1)

    result: Weekly = {}
    for person_id in person_ids:
        days = workdays.get(person_id, set(WORKDAYS))
        per_day: dict[date, Decimal] = {}
        day = first
        while day <= last:
            if day.weekday() in days:
                weekly = default
                for starts_on, hours in changes.get(person_id, []):
                    if starts_on <= monday_of(day):
                        weekly = hours
                away_today = day in away.get(person_id, set())
                per_day[day] = Decimal(0) if away_today else weekly / len(days)
            day += timedelta(days=1)
        result[person_id] = per_day
    return result


def capacity_hours(*, person_ids: Iterable[int], weeks: list[date]) -> Weekly:
    """Each person's capacity in each of ``weeks`` (Mondays), net of time off."""
    ids = list(person_ids)
    if not ids or not weeks:
        return {}
    daily = _daily_capacity(person_ids=ids, first=weeks[0], last=weeks[-1] + timedelta(days=6))
    result: Weekly = {}
    for person_id in ids:
        totals = dict.fromkeys(weeks, Decimal(0))
        for day, hours in daily[person_id].items():
            monday = monday_of(day)
            if monday in totals:
                totals[monday] += hours
        result[person_id] = {monday: hours.quantize(TWO_PLACES) for monday, hours in totals.items()}
    return result


def capacity_hours_between(*, person_ids: Iterable[int], start: date, end: date) -> dict:
    """Each person's capacity from ``start`` to ``end``, both included, net of time off."""
    ids = list(person_ids)
    if not ids or end < start:
        return {}
    daily = _daily_capacity(person_ids=ids, first=start, last=end)
    return {
        person_id: sum(daily[person_id].values(), Decimal(0)).quantize(TWO_PLACES)
        for person_id in ids
    }


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
