"""Weekly named check-ins: services (writes) and selectors (reads).

A person files one check-in per ISO week and may change it until the week is
over; earlier weeks are history and never change. Who reads what:

- everyone reads their own check-ins;
- a manager reads those of their direct reports (never anyone else's reports), and
  only of the weeks that were not yet over when they became that person's manager
  (``User.manager_since``): a new manager does not inherit what was told to the old one;
- leaders and admins read only weekly aggregates, without names or answers, only for
  weeks closed everywhere on Earth (``health.weeks``), and only for weeks with at
  least the organization's anonymity minimum of check-ins (``pulse_minimum()``), so
  that an average is never one person's answer, nor the difference of two reads;
- an aggregate stays anonymous after removing whatever its viewer reads by name: the
  summary is computed per viewer and leaves out the viewer's own check-ins and those
  of their direct reports (``names_seen_by``), so that the summary minus the team page
  is never a small group. The rest must reach the minimum or is not shown.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from health.models import CheckIn
from health.weeks import IsoWeek, recent_weeks
from psops.accounts.models import User

ANSWER_FIELDS = (
    "energy",
    "workload",
    "boundaries",
    "connection",
    "blockers",
    "wins",
    "wants_one_on_one",
)
TEAM_WEEKS = 8
SUMMARY_WEEKS = 12


# --- Services --------------------------------------------------------------------------


def checkin_save(*, user: User, today: date, **answers: Any) -> CheckIn:
    """File or change ``user``'s check-in for the ISO week of ``today``.

    Only the current week can be written: there is no way to name another week, so
    past check-ins stay as they were filed. Scores must be 1 to 5 and boundaries one
    of its choices; anything else raises ``ValidationError`` and saves nothing.
    """
    unknown = set(answers) - set(ANSWER_FIELDS)
    if unknown:
        raise TypeError(f"checkin_save() got unknown answers: {sorted(unknown)}")
    week = IsoWeek.of(today)
    for text_field in ("blockers", "wins"):
        if isinstance(answers.get(text_field), str):
            answers[text_field] = answers[text_field].strip()
    with transaction.atomic():
        # Saves of the same person queue on their user row: a second save (the form sent
        # twice) waits for the first to commit and then finds its row to update, where
        # locking the check-in itself would lock nothing before the first one exists.
        list(User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk"))
        checkin = CheckIn.objects.filter(
            user=user, iso_year=week.year, iso_week=week.week
        ).first() or CheckIn(user=user, iso_year=week.year, iso_week=week.week)
        for field, value in answers.items():
            setattr(checkin, field, value)
        # One row per person and week is guaranteed by the lock above (and by the
        # database's constraint, were the lock ever bypassed).
        checkin.full_clean(validate_unique=False, validate_constraints=False)
        checkin.save()
    return checkin


# --- Selectors -------------------------------------------------------------------------


def checkin_for_week(*, user: User, week: IsoWeek) -> CheckIn | None:
    return CheckIn.objects.filter(user=user, iso_year=week.year, iso_week=week.week).first()


def checkin_this_week(*, user: User, today: date) -> CheckIn | None:
    """The check-in ``user`` has filed for the ISO week of ``today``, if any."""
    return checkin_for_week(user=user, week=IsoWeek.of(today))


def checkin_history(*, user: User) -> QuerySet[CheckIn]:
    """``user``'s own check-ins, newest week first."""
    return CheckIn.objects.filter(user=user).order_by("-iso_year", "-iso_week")


def user_has_direct_reports(*, user: User) -> bool:
    return User.objects.filter(manager=user, is_active=True).exists()


def _weeks_filter(weeks: Sequence[IsoWeek], prefix: str = "") -> Q:
    condition = Q(pk__in=[])
    for week in weeks:
        condition |= Q(**{f"{prefix}iso_year": week.year, f"{prefix}iso_week": week.week})
    return condition


@dataclass(frozen=True)
class ReportWeek:
    week: IsoWeek
    checkin: CheckIn | None
    # The week was over before the viewer became this person's manager: not theirs to read.
    before_manager: bool = False


@dataclass(frozen=True)
class ReportCheckIns:
    person: User
    weeks: list[ReportWeek]  # newest first, one entry per week, None where not filed

    @property
    def wants_one_on_one(self) -> bool:
        return any(entry.checkin and entry.checkin.wants_one_on_one for entry in self.weeks)

    @property
    def filed(self) -> int:
        return sum(1 for entry in self.weeks if entry.checkin)

    @property
    def readable_weeks(self) -> int:
        return sum(1 for entry in self.weeks if not entry.before_manager)


def week_ended_before(*, week: IsoWeek, moment: datetime | None, time_zone: str) -> bool:
    """Whether ``week`` was over, in ``time_zone``, before ``moment`` (never when None).

    A person files their check-in by their own calendar (``checkin_save`` takes their
    local date), so their week ends at midnight between Sunday and Monday in their time
    zone: until then the check-in could still be written, and it belongs to whoever
    was their manager in that week.
    """
    if moment is None:
        return False
    end = datetime.combine(week.sunday + timedelta(days=1), time.min, tzinfo=ZoneInfo(time_zone))
    return end <= moment


def checkins_of_reports(
    *, manager: User, today: date, weeks: int = TEAM_WEEKS
) -> list[ReportCheckIns]:
    """Each active direct report of ``manager`` with their last ``weeks`` weeks.

    Only weeks that were not over when ``manager`` became the person's manager
    (``User.manager_since``) show a check-in: what someone told their previous manager
    stays with that manager. A relationship from before ``manager_since`` was recorded
    (it is null) shows every week, as it did before.

    Two queries whatever the number of reports: the reports, and their check-ins of
    those weeks.
    """
    shown_weeks = recent_weeks(today=today, count=weeks)
    reports = (
        User.objects.filter(manager=manager, is_active=True)
        .order_by("full_name", "email")
        .prefetch_related(
            Prefetch(
                "checkins",
                queryset=CheckIn.objects.filter(_weeks_filter(shown_weeks)),
                to_attr="recent_checkins",
            )
        )
    )
    result = []
    for person in reports:
        by_week = {IsoWeek(c.iso_year, c.iso_week): c for c in person.recent_checkins}
        entries = []
        for week in reversed(shown_weeks):
            hidden = week_ended_before(
                week=week, moment=person.manager_since, time_zone=person.time_zone
            )
            checkin = None if hidden else by_week.get(week)
            entries.append(ReportWeek(week, checkin, before_manager=hidden))
        result.append(ReportCheckIns(person=person, weeks=entries))
    return result


@dataclass(frozen=True)
class WeeklyCheckInAggregate:
    """One week of the leaders' summary. Averages are None below ``minimum`` check-ins."""

    week: IsoWeek
    filed: int
    people: int
    minimum: int
    energy: float | None = None
    workload: float | None = None
    connection: float | None = None
    boundaries_no_share: float | None = None
    one_on_one_requests: int | None = None

    @property
    def participation_percent(self) -> int | None:
        return round(100 * self.filed / self.people) if self.people else None

    @property
    def boundaries_no_percent(self) -> int | None:
        if self.boundaries_no_share is None:
            return None
        return round(100 * self.boundaries_no_share)

    @property
    def shown(self) -> bool:
        return self.filed >= self.minimum


def names_seen_by(viewer: User) -> Q:
    """People whose check-ins ``viewer`` reads by name: themselves and their direct reports.

    Every direct report counts, active or not and whatever ``manager_since`` hides: a
    stricter exclusion costs a figure, a looser one gives someone's answers away.
    """
    return Q(pk=viewer.pk) | Q(manager_id=viewer.pk)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def checkin_weekly_aggregates(
    *, weeks: Sequence[IsoWeek], minimum: int, viewer: User | None = None
) -> list[WeeklyCheckInAggregate]:
    """Per-week participation and averages over everyone's check-ins, in ``weeks`` order.

    With ``viewer``, the people ``viewer`` reads by name (``names_seen_by``) are left out
    of every figure, participation included, and the rest must reach ``minimum``.

    Averages only for weeks with at least ``minimum`` check-ins (the tenant's anonymity
    minimum, ``pulse_minimum()``); ``weeks`` should be weeks closed everywhere
    (``health.weeks.closed_weeks``), whose check-ins can no longer change.

    Two queries whatever the number of people or weeks' rows: one groups the check-ins
    by week, the other counts the people of each week. A week's people are those
    active now who had joined by its end, plus anyone who filed that week (someone
    since deactivated was there then), so participation never exceeds 100 %. The
    check-ins are all of the week's, of people active or not, so deactivating someone
    changes no average.
    """
    weeks = list(weeks)
    if not weeks:
        return []
    people = User.objects.all()
    checkins = CheckIn.objects.filter(_weeks_filter(weeks))
    if viewer is not None:
        people = people.exclude(names_seen_by(viewer))
        checkins = checkins.exclude(user__in=User.objects.filter(names_seen_by(viewer)))
    rows = (
        checkins.order_by()
        .values("iso_year", "iso_week")
        .annotate(
            filed=Count("id"),
            energy=Avg("energy"),
            workload=Avg("workload"),
            connection=Avg("connection"),
            boundaries_no=Count("id", filter=Q(boundaries=CheckIn.Boundaries.NO)),
            one_on_one_requests=Count("id", filter=Q(wants_one_on_one=True)),
        )
    )
    by_week = {IsoWeek(row["iso_year"], row["iso_week"]): row for row in rows}

    people_counts = people.aggregate(
        **{
            f"week_{index}": Count(
                "id",
                filter=Q(is_active=True, date_joined__lt=_start_of(week.shifted(1).monday))
                | Q(
                    Exists(
                        CheckIn.objects.filter(
                            user=OuterRef("pk"), iso_year=week.year, iso_week=week.week
                        )
                    )
                ),
            )
            for index, week in enumerate(weeks)
        }
    )

    result = []
    for index, week in enumerate(weeks):
        row = by_week.get(week)
        week_people = people_counts[f"week_{index}"]
        filed = row["filed"] if row else 0
        if filed < minimum:
            result.append(
                WeeklyCheckInAggregate(week=week, filed=filed, people=week_people, minimum=minimum)
            )
            continue
        result.append(
            WeeklyCheckInAggregate(
                week=week,
                filed=filed,
                people=week_people,
                minimum=minimum,
                energy=float(row["energy"]),
                workload=float(row["workload"]),
                connection=float(row["connection"]),
                boundaries_no_share=row["boundaries_no"] / filed,
                one_on_one_requests=row["one_on_one_requests"],
            )
        )
    return result
