"""Reads of effort: who may log where, a person's week as a grid, the engagement panel.

Who may log effort on an engagement: a consultant on the engagements they lead or
are on the team of; leaders and admins on any; sales on none. A submitted week
(``TimesheetWeek``) is locked for its person; leaders and admins may still change it
and reopen it.

Each read is a fixed number of queries whatever the number of engagements or entries.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from capacity.burn import Burn, engagement_burns
from capacity.effort.forms import EffortQuickForm
from capacity.hours import monday_of
from capacity.models import EffortEntry, TimesheetWeek
from engagements.models import Engagement
from psops.accounts.models import Role, User
from psops.accounts.permissions import SERVICES_ROLES, user_has_role

# Who may log effort on any engagement, change a submitted week and reopen it.
OVERSEER_ROLES = (Role.LEADER, Role.ADMIN)
RECENT_ENTRIES = 5
ZERO = Decimal("0.00")


def user_oversees_effort(user: User) -> bool:
    return user_has_role(user, *OVERSEER_ROLES)


def engagements_loggable_by(person: User) -> QuerySet[Engagement]:
    """The engagements ``person`` may log effort on."""
    if user_has_role(person, *OVERSEER_ROLES):
        return Engagement.objects.all()
    if user_has_role(person, Role.CONSULTANT):
        return Engagement.objects.filter(_led_or_on_team(person))
    return Engagement.objects.none()


def _led_or_on_team(person: User) -> Q:
    # A subquery rather than a join on the team, so that no row comes twice.
    on_team = Engagement.team.through.objects.filter(user_id=person.pk).values("engagement_id")
    return Q(lead_id=person.pk) | Q(pk__in=on_team)


def timesheet_person_get(*, user: User, person_id: int | None) -> User:
    """Whose week ``user`` opens: their own, or (leaders, admins) anyone who logs effort.

    A consultant asking for someone else's week gets 404, as for a person who does not
    exist.
    """
    if person_id is None or person_id == user.pk:
        return user
    if not user_oversees_effort(user):
        raise Http404("No such person.")
    person = User.objects.filter(pk=person_id, role__in=SERVICES_ROLES).first()
    if person is None:
        raise Http404("No such person.")
    return person


def timesheet_people(*, user: User) -> QuerySet[User]:
    """Whose weeks ``user`` may open (leaders and admins: everyone who logs effort)."""
    if not user_oversees_effort(user):
        return User.objects.filter(pk=user.pk)
    return User.objects.filter(role__in=SERVICES_ROLES, is_active=True).order_by(
        "full_name", "email"
    )


def week_submission(*, person: User, week: date) -> TimesheetWeek | None:
    return (
        TimesheetWeek.objects.select_related("submitted_by")
        .filter(person=person, week_starts_on=monday_of(week))
        .first()
    )


# --- The week grid -----------------------------------------------------------------------


@dataclass
class TimesheetCell:
    day: date
    hours: Decimal  # the sum of the day's entries, 0 for none
    entries: int
    future: bool

    @property
    def field_suffix(self) -> str:
        return self.day.isoformat()


@dataclass
class TimesheetRow:
    engagement: Engagement
    cells: list[TimesheetCell]
    billable: bool  # every entry of the week is billable (True without entries)
    total: Decimal = ZERO


@dataclass
class Timesheet:
    person: User
    week: date  # its Monday
    days: list[date]
    today: date
    rows: list[TimesheetRow]
    day_totals: list[Decimal]
    total: Decimal
    billable_total: Decimal
    submission: TimesheetWeek | None
    # Open engagements the person may log on that are not rows yet (the "add" row).
    addable: list[Engagement] = field(default_factory=list)

    @property
    def previous_week(self) -> date:
        return self.week - timedelta(weeks=1)

    @property
    def next_week(self) -> date:
        return self.week + timedelta(weeks=1)

    @property
    def submitted(self) -> bool:
        return self.submission is not None

    @property
    def started(self) -> bool:
        return self.week <= self.today


def timesheet_week(*, person: User, week: date, today: date | None = None) -> Timesheet:
    """``person``'s week (the one containing ``week``): their open engagements and any
    with entries that week as rows, the days Monday to Sunday as columns.

    Four queries: the week's entries, the person's engagements, the engagements that
    may be added, the submission.
    """
    today = today or timezone.localdate()
    monday = monday_of(week)
    days = [monday + timedelta(days=n) for n in range(7)]
    entries = list(
        EffortEntry.objects.filter(person=person, worked_on__range=(days[0], days[-1]))
        .select_related("engagement__client")
        .order_by()
    )
    hours: dict[tuple[int, date], Decimal] = defaultdict(lambda: ZERO)
    counts: dict[tuple[int, date], int] = defaultdict(int)
    billable: dict[int, bool] = {}
    engagements: dict[int, Engagement] = {}
    for entry in entries:
        key = (entry.engagement_id, entry.worked_on)
        hours[key] += entry.hours
        counts[key] += 1
        billable[entry.engagement_id] = billable.get(entry.engagement_id, True) and entry.billable
        engagements[entry.engagement_id] = entry.engagement
    for engagement in (
        Engagement.objects.filter(_led_or_on_team(person))
        .exclude(status=Engagement.Status.CLOSED)
        .select_related("client")
    ):
        engagements.setdefault(engagement.pk, engagement)

    rows = []
    for engagement in sorted(engagements.values(), key=lambda e: (e.client.name, e.name, e.pk)):
        cells = [
            TimesheetCell(
                day=day,
                hours=hours[(engagement.pk, day)],
                entries=counts[(engagement.pk, day)],
                future=day > today,
            )
            for day in days
        ]
        rows.append(
            TimesheetRow(
                engagement=engagement,
                cells=cells,
                billable=billable.get(engagement.pk, True),
                total=sum((cell.hours for cell in cells), ZERO),
            )
        )
    day_totals = [sum((hours[(e, day)] for e in engagements), ZERO) for day in days]
    addable = list(
        engagements_loggable_by(person)
        .exclude(status=Engagement.Status.CLOSED)
        .exclude(pk__in=list(engagements))
        .select_related("client")
        .order_by("client__name", "name")
    )
    return Timesheet(
        person=person,
        week=monday,
        days=days,
        today=today,
        rows=rows,
        day_totals=day_totals,
        total=sum(day_totals, ZERO),
        billable_total=sum((e.hours for e in entries if e.billable), ZERO),
        submission=week_submission(person=person, week=monday),
        addable=addable,
    )


# --- The engagement page's panel ---------------------------------------------------------


def engagement_recent_effort(*, engagement: Engagement, limit: int = RECENT_ENTRIES) -> list:
    return list(
        EffortEntry.objects.filter(engagement=engagement)
        .select_related("person", "pain_point", "recommendation")
        .order_by("-worked_on", "-id")[:limit]
    )


def user_may_log_on(*, user: User, engagement: Engagement) -> bool:
    if user_has_role(user, *OVERSEER_ROLES):
        return True
    return engagements_loggable_by(user).filter(pk=engagement.pk).exists()


def engagement_burn(*, engagement: Engagement, today: date | None = None) -> Burn:
    today = today or timezone.localdate()
    return engagement_burns(engagement_ids=[engagement.pk], today=today)[engagement.pk]


def engagement_effort_panel(user: User, engagement: Engagement) -> dict | None:
    """The engagement page's effort panel (``engagements.panels``): budget burn, the
    latest entries and, for who may log on it, the quick entry form. Services only.

    At most three queries (the burn, the latest entries, whether a consultant may log);
    the form's pain point and recommendation choices are two more when it is shown.
    """
    if not user_has_role(user, *SERVICES_ROLES):
        return None
    today = timezone.localdate()
    can_log = user_may_log_on(user=user, engagement=engagement)
    return {
        "burn": engagement_burn(engagement=engagement, today=today),
        "recent": engagement_recent_effort(engagement=engagement),
        "can_log": can_log,
        "form": EffortQuickForm(engagement=engagement, today=today) if can_log else None,
        "today": today,
    }
