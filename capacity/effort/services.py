"""Writes of effort: entries, a week's grid, submitting and reopening a week.

Every write checks the same rules (``_refusals``) and raises ``ValidationError``
without changing anything when one fails:

- hours above 0, at most 24 logged by one person on one day in all;
- no day after today;
- an engagement the person may log on (``selectors.engagements_loggable_by``);
- a pain point or recommendation of that same engagement;
- no change to a submitted week, except by a leader or an admin (``by``).

The 24-hour rule counts what is already logged, so each write first locks the
person's row (``SELECT ... FOR UPDATE``): two saves for the same person run one after
the other and the second sees the first's hours.

``person`` is whose hours they are, ``by`` who writes them: the same person, or a
leader or admin acting for them.
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format

from capacity.effort.selectors import (
    engagements_loggable_by,
    user_oversees_effort,
)
from capacity.hours import monday_of
from capacity.models import MAX_DAILY_HOURS, EffortEntry, TimesheetWeek
from engagements.models import Engagement, PainPoint, Recommendation
from psops.accounts.models import User
from psops.ui.numbers import plain_decimal

ZERO = Decimal("0")
MIN_HOURS = Decimal("0.25")
LOCKED = (
    "The week of {week} was submitted, so its hours are locked. "
    "Ask a leader to reopen it if something must change."
)
NOT_YOURS = "You can log effort only for yourself."
DAY_LIMIT = plain_decimal(MAX_DAILY_HOURS)


def _day(day: date) -> str:
    return date_format(day, "D j M")


def _lock_person(person: User) -> None:
    """Serialize every effort write of one person (see the module docstring)."""
    User.objects.select_for_update().filter(pk=person.pk).values_list("pk").get()


def _check_actor(*, person: User, by: User) -> None:
    if by.pk != person.pk and not user_oversees_effort(by):
        raise ValidationError(NOT_YOURS)


def _locked_weeks(*, person: User, by: User, days: list[date]) -> list[date]:
    """The submitted weeks among ``days``' weeks that ``by`` may not change."""
    if user_oversees_effort(by):
        return []
    weeks = {monday_of(day) for day in days}
    return sorted(
        TimesheetWeek.objects.filter(person=person, week_starts_on__in=weeks).values_list(
            "week_starts_on", flat=True
        )
    )


def _check_unlocked(*, person: User, by: User, days: list[date]) -> None:
    locked = _locked_weeks(person=person, by=by, days=days)
    if locked:
        raise ValidationError(LOCKED.format(week=_day(locked[0])))


def _hours_refusal(hours: Decimal) -> str | None:
    if hours <= ZERO:
        return "Log more than 0 hours."
    if hours < MIN_HOURS:
        return "Log at least a quarter of an hour (0.25)."
    if hours > MAX_DAILY_HOURS:
        return "A day has 24 hours at most."
    if hours != hours.quantize(Decimal("0.01")):
        return "Use at most two decimals (1.25 h)."
    return None


def _day_logged(*, person: User, day: date, excluding: list[int]) -> Decimal:
    logged = (
        EffortEntry.objects.filter(person=person, worked_on=day)
        .exclude(pk__in=excluding)
        .aggregate(total=Sum("hours"))["total"]
    )
    return logged or ZERO


def _check_entry(
    *,
    person: User,
    engagement: Engagement,
    worked_on: date,
    hours: Decimal,
    pain_point: PainPoint | None,
    recommendation: Recommendation | None,
    today: date,
    excluding: list[int],
) -> None:
    """Every rule for one entry; all refusals at once, keyed by the field they concern."""
    errors: dict[str, str] = {}
    refusal = _hours_refusal(hours)
    if refusal:
        errors["hours"] = refusal
    if worked_on > today:
        errors["worked_on"] = "That day is still to come: log effort once it is done."
    if not engagements_loggable_by(person).filter(pk=engagement.pk).exists():
        errors["engagement"] = (
            f"{person} may not log effort on {engagement.name}: only its lead, its team, "
            "leaders and admins may."
        )
    if pain_point is not None and pain_point.engagement_id != engagement.pk:
        errors["pain_point"] = "Choose a pain point of this engagement."
    if recommendation is not None and recommendation.engagement_id != engagement.pk:
        errors["recommendation"] = "Choose a recommendation of this engagement."
    if "hours" not in errors:
        logged = _day_logged(person=person, day=worked_on, excluding=excluding)
        if logged + hours > MAX_DAILY_HOURS:
            errors["hours"] = (
                f"{person} already has {plain_decimal(logged)} h on {_day(worked_on)}; "
                f"with {plain_decimal(hours)} h more the day would pass {DAY_LIMIT} h."
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def effort_log(
    *,
    person: User,
    by: User,
    engagement: Engagement,
    worked_on: date,
    hours: Decimal,
    billable: bool = True,
    pain_point: PainPoint | None = None,
    recommendation: Recommendation | None = None,
    note: str = "",
    today: date | None = None,
) -> EffortEntry:
    """Log ``hours`` that ``person`` worked on ``engagement`` on ``worked_on``."""
    today = today or timezone.localdate()
    _check_actor(person=person, by=by)
    _lock_person(person)
    _check_unlocked(person=person, by=by, days=[worked_on])
    _check_entry(
        person=person,
        engagement=engagement,
        worked_on=worked_on,
        hours=hours,
        pain_point=pain_point,
        recommendation=recommendation,
        today=today,
        excluding=[],
    )
    return EffortEntry.objects.create(
        person=person,
        engagement=engagement,
        worked_on=worked_on,
        hours=hours,
        billable=billable,
        pain_point=pain_point,
        recommendation=recommendation,
        note=note.strip(),
    )


@transaction.atomic
def effort_update(
    *,
    entry: EffortEntry,
    by: User,
    worked_on: date | None = None,
    hours: Decimal | None = None,
    billable: bool | None = None,
    pain_point: PainPoint | None = None,
    recommendation: Recommendation | None = None,
    note: str | None = None,
    clear_links: bool = False,
    today: date | None = None,
) -> EffortEntry:
    """Change an entry; ``None`` keeps a field as it is (``clear_links`` empties the pain
    point and recommendation). Both the entry's week and the week it moves to must be
    open for ``by``."""
    today = today or timezone.localdate()
    person = entry.person
    _check_actor(person=person, by=by)
    _lock_person(person)
    entry = EffortEntry.objects.select_related("engagement").get(pk=entry.pk)
    new_day = worked_on or entry.worked_on
    _check_unlocked(person=person, by=by, days=[entry.worked_on, new_day])
    entry.worked_on = new_day
    if hours is not None:
        entry.hours = hours
    if billable is not None:
        entry.billable = billable
    if clear_links:
        entry.pain_point = entry.recommendation = None
    if pain_point is not None:
        entry.pain_point = pain_point
    if recommendation is not None:
        entry.recommendation = recommendation
    if note is not None:
        entry.note = note.strip()
    _check_entry(
        person=person,
        engagement=entry.engagement,
        worked_on=entry.worked_on,
        hours=entry.hours,
        pain_point=entry.pain_point,
        recommendation=entry.recommendation,
        today=today,
        excluding=[entry.pk],
    )
    entry.save()
    return entry


@transaction.atomic
def effort_delete(*, entry: EffortEntry, by: User) -> None:
    person = entry.person
    _check_actor(person=person, by=by)
    _lock_person(person)
    _check_unlocked(person=person, by=by, days=[entry.worked_on])
    EffortEntry.objects.filter(pk=entry.pk).delete()


# --- The week grid -----------------------------------------------------------------------

Cell = tuple[int, date]  # (engagement id, day)


@transaction.atomic
def timesheet_save(
    *,
    person: User,
    by: User,
    week: date,
    hours: Mapping[Cell, Decimal],
    billable: Mapping[int, bool] | None = None,
    today: date | None = None,
) -> int:
    """Set ``person``'s hours for each (engagement, day) of ``week`` given; how many
    cells and rows changed.

    A cell's value is that day's hours on that engagement: 0 removes its entries, a
    cell of one entry keeps it with the new hours (and its note and links), a cell of
    several is replaced by one entry. ``billable`` sets every entry of a row in the
    week. All or nothing: one refused cell leaves the whole week as it was, and the
    24-hour rule is checked on the week as it would be after the save.
    """
    today = today or timezone.localdate()
    billable = billable or {}
    monday = monday_of(week)
    days = [monday + timedelta(days=n) for n in range(7)]
    _check_actor(person=person, by=by)
    _lock_person(person)
    entries = list(EffortEntry.objects.filter(person=person, worked_on__range=(days[0], days[-1])))
    by_cell: dict[Cell, list[EffortEntry]] = defaultdict(list)
    for entry in entries:
        by_cell[(entry.engagement_id, entry.worked_on)].append(entry)

    changed = {
        cell: value
        for cell, value in hours.items()
        if value != sum((e.hours for e in by_cell.get(cell, [])), ZERO)
    }
    billable_changed = {
        engagement_id: value
        for engagement_id, value in billable.items()
        if any(e.billable != value for e in entries if e.engagement_id == engagement_id)
    }
    if not changed and not billable_changed:
        return 0
    _check_unlocked(person=person, by=by, days=[monday])

    errors: list[str] = []
    names = dict(
        Engagement.objects.filter(pk__in={e for e, _ in changed}).values_list("pk", "name")
    )
    for (engagement_id, day), value in sorted(changed.items(), key=lambda item: item[0][1]):
        where = f"{names.get(engagement_id, 'That engagement')}, {_day(day)}"
        if day not in days:
            errors.append(f"{where}: that day is not in the week of {_day(monday)}.")
        elif value < ZERO:
            errors.append(f"{where}: hours cannot be negative.")
        elif value > ZERO and (refusal := _hours_refusal(value)):
            errors.append(f"{where}: {refusal}")
        elif value > ZERO and day > today:
            errors.append(f"{where}: that day is still to come: log effort once it is done.")
    logging_on = {engagement_id for (engagement_id, _), value in changed.items() if value > ZERO}
    allowed = set(
        engagements_loggable_by(person).filter(pk__in=logging_on).values_list("pk", flat=True)
    )
    for engagement_id in sorted(logging_on - allowed):
        name = names.get(engagement_id, "that engagement")
        errors.append(f"{person} may not log effort on {name}.")
    totals: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for cell, cell_entries in by_cell.items():
        totals[cell[1]] += sum((e.hours for e in cell_entries), ZERO)
    for cell, value in changed.items():
        totals[cell[1]] += value - sum((e.hours for e in by_cell.get(cell, [])), ZERO)
    for day in sorted(totals):
        if totals[day] > MAX_DAILY_HOURS:
            errors.append(
                f"{_day(day)}: {plain_decimal(totals[day])} h in all; "
                f"a day has {DAY_LIMIT} h at most."
            )
    if errors:
        raise ValidationError(errors)

    for (engagement_id, day), value in changed.items():
        cell_entries = by_cell.get((engagement_id, day), [])
        if value == ZERO:
            EffortEntry.objects.filter(pk__in=[e.pk for e in cell_entries]).delete()
        elif len(cell_entries) == 1:
            entry = cell_entries[0]
            entry.hours = value
            entry.save(update_fields=["hours", "updated_at"])
        else:
            row_billable = billable.get(
                engagement_id, all(e.billable for e in cell_entries) if cell_entries else True
            )
            EffortEntry.objects.filter(pk__in=[e.pk for e in cell_entries]).delete()
            EffortEntry.objects.create(
                person=person,
                engagement_id=engagement_id,
                worked_on=day,
                hours=value,
                billable=row_billable,
            )
    for engagement_id, is_billable in billable_changed.items():
        EffortEntry.objects.filter(
            person=person, engagement_id=engagement_id, worked_on__range=(days[0], days[-1])
        ).update(billable=is_billable)
    return len(changed) + len(billable_changed)


# --- Submitting a week -------------------------------------------------------------------


@transaction.atomic
def timesheet_submit(
    *, person: User, by: User, week: date, now: datetime | None = None
) -> TimesheetWeek:
    """Mark ``person``'s week as submitted: from now on only leaders and admins change it."""
    now = now or timezone.now()
    monday = monday_of(week)
    _check_actor(person=person, by=by)
    _lock_person(person)
    if monday > timezone.localdate(now):
        raise ValidationError("This week has not started yet: submit it once it is worked.")
    if TimesheetWeek.objects.filter(person=person, week_starts_on=monday).exists():
        raise ValidationError(f"The week of {_day(monday)} is already submitted.")
    return TimesheetWeek.objects.create(
        person=person, week_starts_on=monday, submitted_at=now, submitted_by=by
    )


@transaction.atomic
def timesheet_reopen(*, person: User, by: User, week: date) -> None:
    """Unlock a submitted week (leaders and admins)."""
    if not user_oversees_effort(by):
        raise ValidationError("Only leaders and admins can reopen a submitted week.")
    monday = monday_of(week)
    _lock_person(person)
    deleted, _ = TimesheetWeek.objects.filter(person=person, week_starts_on=monday).delete()
    if not deleted:
        raise ValidationError(f"The week of {_day(monday)} is not submitted.")
