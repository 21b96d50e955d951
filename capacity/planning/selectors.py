"""Reads of the plan: people's capacity pages, the capacity grid, and the panels that
planning adds to engagement and packet pages.

Who may read what:

- PS leaders and admins plan: they read and change everyone's capacity, time off,
  working hours and allocations, and open the grid.
- A person reads their own page and changes their own time off and working hours;
  a manager reads their direct reports' pages.
- A time off's reason is private to the person, their manager and admins; everyone
  else (a leader who is not the manager, say) reads only that the person is away.

Each read is a fixed number of queries whatever the number of people and weeks: the
hours come from ``capacity.hours``, which counts a week the same way everywhere.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from capacity.hours import (
    allocated_hours,
    allocation_week_hours,
    capacity_hours,
    default_weekly_hours,
    mondays,
)
from capacity.models import WORKDAYS, Allocation, TimeOff, WorkingPattern
from engagements.models import Engagement
from handoffs.models import HandoffPacket
from handoffs.selectors import user_reads_packets
from handoffs.services import user_can_review
from psops.accounts.models import Role, User
from psops.accounts.permissions import user_has_role

GRID_WEEKS = 12
PEOPLE_PER_PAGE = 50
PLANNERS = (Role.LEADER, Role.ADMIN)
# Packets whose demand the grid shows as tentative: under review, or back with sales
# for changes (the demand is kept until the packet is accepted or rejected).
DEMAND_STATUSES = (HandoffPacket.Status.SUBMITTED, HandoffPacket.Status.CHANGES_REQUESTED)
AWAY = "away"
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ZERO = Decimal("0.00")
ONE_WEEK = timedelta(weeks=1)
EN_DASH = "\u2013"  # between two times, as in 09:00–17:00  # noqa: RUF003


# --- Who may do what ---------------------------------------------------------------------


def user_plans(user: User) -> bool:
    """PS leaders and admins: the grid, allocations, everyone's capacity."""
    return user_has_role(user, *PLANNERS)


def user_manages_person(user: User, person: User) -> bool:
    """Time off and working hours: the person themselves, leaders and admins."""
    return user.is_active and (user.pk == person.pk or user_plans(user))


def user_sees_time_off_reason(user: User, person: User) -> bool:
    return user.is_active and (
        user.pk == person.pk or person.manager_id == user.pk or user_has_role(user, Role.ADMIN)
    )


def people_visible_to(user: User) -> QuerySet[User]:
    """Planners see everyone; anyone else themselves and their direct reports."""
    if user_plans(user):
        return User.objects.all()
    if not user.is_active:
        return User.objects.none()
    return User.objects.filter(Q(pk=user.pk) | Q(manager=user))


def person_get(*, user: User, person_id: int) -> User:
    """The person if this user may read their capacity, else 404."""
    return get_object_or_404(
        people_visible_to(user).select_related("working_pattern", "manager"), pk=person_id
    )


def time_off_get(*, user: User, time_off_id: int) -> TimeOff:
    return get_object_or_404(
        TimeOff.objects.filter(person__in=people_visible_to(user)).select_related("person"),
        pk=time_off_id,
    )


def allocation_get(*, user: User, allocation_id: int) -> Allocation:
    """An engagement's allocation, for a planner; 404 for anyone else."""
    if not user_plans(user):
        raise Http404
    return get_object_or_404(
        Allocation.objects.filter(engagement__isnull=False).select_related(
            "engagement__client", "person"
        ),
        pk=allocation_id,
    )


def demand_get(*, user: User, demand_id: int) -> Allocation:
    """A packet's demand line, for someone who may review the packet; else 404."""
    line = get_object_or_404(
        Allocation.objects.filter(packet__isnull=False).select_related(
            "packet__assigned_reviewer", "person"
        ),
        pk=demand_id,
    )
    if line.packet is None or not user_can_review(user=user, packet=line.packet):
        raise Http404
    return line


def planned_people() -> QuerySet[User]:
    """Who can be allocated: active people who deliver (not sales)."""
    return (
        User.objects.filter(is_active=True).exclude(role=Role.SALES).order_by("full_name", "email")
    )


# --- Working hours, in words -------------------------------------------------------------


def _plural_days(days: list[int]) -> str:
    names = [f"{DAY_NAMES[day]}s" for day in days]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def working_days_text(weekdays: list[int]) -> str:
    """ "Monday to Friday", "not on Fridays", "also on Saturdays", from Monday to Friday."""
    days = set(weekdays) or set(WORKDAYS)
    missing = [day for day in WORKDAYS if day not in days]
    extra = sorted(day for day in days if day not in WORKDAYS)
    if not missing and not extra:
        return "Monday to Friday"
    if len(missing) == len(WORKDAYS):
        return "on " + _plural_days(extra).replace(" or ", " and ")
    parts = []
    if missing:
        parts.append("not on " + _plural_days(missing))
    if extra:
        parts.append("also on " + _plural_days(extra).replace(" or ", " and "))
    return ", ".join(parts)


def _clock(value: time) -> str:
    return f"{value:%H:%M}"


def working_hours_text(person: User, pattern: WorkingPattern | None) -> str:
    """For example "Carlos Silva works 09:00-17:00 Europe/Lisbon, not on Fridays", with an
    en dash between the hours."""
    if pattern is None:
        return f"{person} works in {person.time_zone} (working hours not set)"
    days = working_days_text(pattern.weekdays)
    hours = f"{_clock(pattern.starts_at)}{EN_DASH}{_clock(pattern.ends_at)}"
    if days == "Monday to Friday":
        return f"{person} works {hours} {person.time_zone}, Monday to Friday"
    return f"{person} works {hours} {person.time_zone}, {days}"


def pattern_of(person: User) -> WorkingPattern | None:
    # select_related("working_pattern") caches a missing row; getattr reads that cache.
    return getattr(person, "working_pattern", None)


# --- A person's page ---------------------------------------------------------------------


@dataclass(frozen=True)
class TimeOffRow:
    time_off: TimeOff
    reason: str  # the reason's label, or "away" for those who may not read it


@dataclass(frozen=True)
class WeekHours:
    monday: date
    capacity: Decimal
    allocated: Decimal

    @property
    def over(self) -> bool:
        return self.allocated > self.capacity


def person_capacity_sections(*, viewer: User, person: User, today: date) -> dict[str, Any]:
    """Everything the person's capacity page shows, each in one query."""
    weeks = mondays(today, GRID_WEEKS)
    capacity = capacity_hours(person_ids=[person.pk], weeks=weeks).get(person.pk, {})
    allocated = allocated_hours(person_ids=[person.pk], weeks=weeks).get(person.pk, {})
    changes = list(person.capacity_changes.order_by("-starts_on"))
    current = next((c.hours_per_week for c in changes if c.starts_on <= today), None)
    show_reason = user_sees_time_off_reason(viewer, person)
    time_off = [
        TimeOffRow(time_off=row, reason=row.get_reason_display() if show_reason else AWAY)
        for row in person.time_off.filter(ends_on__gte=today - timedelta(days=90)).order_by(
            "starts_on"
        )
    ]
    pattern = pattern_of(person)
    return {
        "weekly_hours": current if current is not None else default_weekly_hours(),
        "uses_default": current is None,
        "capacity_changes": changes,
        "time_off": time_off,
        "show_reason": show_reason,
        "pattern": pattern,
        "working_hours": working_hours_text(person, pattern),
        "weeks": [
            WeekHours(monday=m, capacity=capacity.get(m, ZERO), allocated=allocated.get(m, ZERO))
            for m in weeks
        ],
        "allocations": list(
            person.allocations.filter(ends_on__gte=today, engagement__isnull=False)
            .select_related("engagement__client")
            .order_by("starts_on", "id")
        ),
    }


# --- The grid ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GridCell:
    monday: date
    capacity: Decimal
    allocated: Decimal  # confirmed and tentative, every engagement
    implementation: Decimal
    success: Decimal
    tentative: Decimal
    away_days: int

    @property
    def percent(self) -> int | None:
        if not self.capacity:
            return None
        return round(self.allocated * 100 / self.capacity)

    @property
    def over(self) -> bool:
        """More than 100%: allocated beyond what the person can give that week."""
        return self.allocated > self.capacity


@dataclass(frozen=True)
class GridRow:
    person: User
    cells: list[GridCell]
    allocations: list[Allocation]

    @property
    def over_weeks(self) -> int:
        return sum(cell.over for cell in self.cells)


@dataclass(frozen=True)
class DemandCell:
    monday: date
    hours: Decimal


@dataclass
class DemandRow:
    cells: list[DemandCell]
    lines: list[Allocation] = field(default_factory=list)


def grid_weeks(first: date) -> list[date]:
    return mondays(first, GRID_WEEKS)


def _overlapping(queryset: QuerySet, weeks: list[date]) -> QuerySet:
    return queryset.filter(starts_on__lte=weeks[-1] + timedelta(days=6), ends_on__gte=weeks[0])


def grid_people(
    *, weeks: list[date], team: str = "", role: str = "", kind: str = ""
) -> QuerySet[User]:
    """The grid's people: everyone who delivers, narrowed by team, role, and (for a kind)
    to those allocated to an engagement of that kind in these weeks."""
    people = planned_people()
    if team:
        people = people.filter(team=team)
    if role:
        people = people.filter(role=role)
    if kind:
        on_kind = _overlapping(Allocation.objects.filter(engagement__kind=kind), weeks)
        people = people.filter(pk__in=on_kind.values("person_id"))
    return people.order_by("full_name", "email", "id")


def team_choices() -> list[str]:
    return list(
        planned_people().exclude(team="").order_by("team").values_list("team", flat=True).distinct()
    )


def _away_days(person_ids: list[int], weeks: list[date]) -> dict[int, dict[date, int]]:
    """Working days away per person and week (their own weekdays, else Monday to Friday)."""
    first, last = weeks[0], weeks[-1] + timedelta(days=6)
    workdays = {
        person_id: set(days) or set(WORKDAYS)
        for person_id, days in WorkingPattern.objects.filter(person_id__in=person_ids).values_list(
            "person_id", "weekdays"
        )
    }
    result: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for person_id, starts_on, ends_on in _overlapping(
        TimeOff.objects.filter(person_id__in=person_ids), weeks
    ).values_list("person_id", "starts_on", "ends_on"):
        days = workdays.get(person_id, set(WORKDAYS))
        day = max(starts_on, first)
        while day <= min(ends_on, last):
            if day.weekday() in days:
                result[person_id][day - timedelta(days=day.weekday())] += 1
            day += timedelta(days=1)
    return result


def grid_rows(*, people: list[User], weeks: list[date]) -> list[GridRow]:
    """Each person's weeks: allocated against capacity, by engagement kind, tentative
    hours and days away; and their allocations in these weeks. A fixed number of
    queries for any number of people and weeks."""
    ids = [person.pk for person in people]
    if not ids:
        return []
    capacity = capacity_hours(person_ids=ids, weeks=weeks)
    allocated = allocated_hours(person_ids=ids, weeks=weeks)
    away = _away_days(ids, weeks)
    allocations: dict[int, list[Allocation]] = defaultdict(list)
    by_kind: dict[tuple[int, date, str], Decimal] = defaultdict(Decimal)
    for allocation in _overlapping(
        Allocation.objects.filter(person_id__in=ids, engagement__isnull=False), weeks
    ).select_related("engagement__client"):
        if allocation.person_id is None or allocation.engagement is None:
            continue  # the filters above exclude both; this tells the type checker
        allocations[allocation.person_id].append(allocation)
        for monday in weeks:
            hours = allocation_week_hours(
                allocation.hours_per_week, allocation.starts_on, allocation.ends_on, monday
            )
            if hours:
                by_kind[allocation.person_id, monday, allocation.engagement.kind] += hours
                if allocation.status == Allocation.Status.TENTATIVE:
                    by_kind[allocation.person_id, monday, "tentative"] += hours
    rows = []
    for person in people:
        cells = [
            GridCell(
                monday=monday,
                capacity=capacity[person.pk][monday],
                allocated=allocated[person.pk][monday],
                implementation=by_kind[person.pk, monday, Engagement.Kind.IMPLEMENTATION],
                success=by_kind[person.pk, monday, Engagement.Kind.SUCCESS],
                tentative=by_kind[person.pk, monday, "tentative"],
                away_days=away[person.pk][monday] if person.pk in away else 0,
            )
            for monday in weeks
        ]
        rows.append(GridRow(person=person, cells=cells, allocations=allocations[person.pk]))
    return rows


def demand_row(*, weeks: list[date], kind: str = "") -> DemandRow:
    """Tentative demand of packets in review, week by week, apart from the people."""
    lines = _overlapping(
        Allocation.objects.filter(packet__status__in=DEMAND_STATUSES), weeks
    ).select_related("packet", "person")
    if kind:
        lines = lines.filter(packet__engagement_kind=kind)
    row = DemandRow(cells=[], lines=list(lines.order_by("starts_on", "id")))
    for monday in weeks:
        hours = sum(
            (
                allocation_week_hours(line.hours_per_week, line.starts_on, line.ends_on, monday)
                for line in row.lines
            ),
            ZERO,
        )
        row.cells.append(DemandCell(monday=monday, hours=hours))
    return row


# --- Panels on other apps' pages ---------------------------------------------------------


@dataclass(frozen=True)
class TeamMemberHours:
    person: User
    text: str


def engagement_planning_panel(user: User, engagement: Engagement) -> dict[str, Any]:
    """The engagement page's "Team and allocations": when each person on it works (in
    their own time zone), a copyable summary for the client, and the allocations.
    The engagement page has already checked that the viewer may read it."""
    allocations = list(engagement.allocations.select_related("person").order_by("starts_on", "id"))
    people = list(
        User.objects.filter(
            Q(pk__in=engagement.team.values("pk"))
            | Q(pk=engagement.lead_id)
            | Q(pk__in=engagement.allocations.values("person_id"))
        )
        .filter(is_active=True)
        .select_related("working_pattern")
        .order_by("full_name", "email")
    )
    members = [
        TeamMemberHours(person=person, text=working_hours_text(person, pattern_of(person)))
        for person in people
    ]
    summary = ""
    if members:
        summary = "Our team's working hours:\n" + "\n".join(f"- {m.text}." for m in members)
    return {
        "engagement": engagement,
        "members": members,
        "summary": summary,
        "allocations": allocations,
        "can_plan": user_plans(user),
    }


def packet_demand_panel(user: User, packet: HandoffPacket) -> dict[str, Any] | None:
    """The packet page's "Staffing demand". The packet page shows only packets the
    viewer may read; those who may review it (a leader, the assigned reviewer) add
    and remove lines while it waits for review, everyone else reads them."""
    can_edit = packet.status == HandoffPacket.Status.SUBMITTED and user_can_review(
        user=user, packet=packet
    )
    if not user_reads_packets(user):
        return None
    lines = list(packet.demand.select_related("person").order_by("starts_on", "id"))
    if not lines and not can_edit:
        return None
    return {"packet": packet, "lines": lines, "can_edit": can_edit}
