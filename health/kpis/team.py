"""The team: check-in participation and energy, by the anonymity rules (``health.anonymity``).

Who reads these KPIs (leaders and admins, on the dashboard, the evidence page and the
digest) also reads some people's check-ins by name: their own and their direct
reports' (``/checkins/team/``). A KPI over everyone would then give the others away by
subtraction. KPIs are stored once per tenant (snapshots), not per reader, so both
leave out everyone any KPI reader reads by name (``outside_kpi_readers``): leaders,
admins and the people they manage. What is left must reach the anonymity minimum.
"""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from health.anonymity import OTHER_LABEL, pulse_groups_fold, pulse_minimum
from health.kpis.base import (
    UNIT_PLACES,
    Evidence,
    Kpi,
    KpiScope,
    kpi_value_display,
    percent_of,
)
from health.models import CheckIn
from health.weeks import IsoWeek
from health.weeks import last_closed_week as weeks_last_closed_week
from psops.accounts.models import Role, User
from psops.ui.numbers import counted, rounded_half_up

CHECKIN_ROLES = (Role.LEADER, Role.CONSULTANT, Role.SALES)
KPI_READER_ROLES = (Role.LEADER, Role.ADMIN)


def outside_kpi_readers() -> Q:
    """People whose check-ins no KPI reader reads by name (see the module docstring)."""
    return ~Q(role__in=KPI_READER_ROLES) & ~Q(manager__role__in=KPI_READER_ROLES)


def last_closed_week(as_of: date) -> IsoWeek:
    """The latest ISO week over everywhere on Earth on ``as_of``.

    The week before the one ``as_of`` falls in, judged by the last time zone (UTC-12)
    when ``as_of`` is today: a week still open somewhere changes with every check-in
    filed in it, and two reads a check-in apart would give that check-in away. The
    same rule as the pulse and the check-in summary (``health.weeks``).
    """
    return weeks_last_closed_week(as_of)


def _checkin_population(week: IsoWeek) -> QuerySet[User]:
    """Active consultants and sales reps who had joined by the end of the week, outside
    what any KPI reader reads by name (``outside_kpi_readers``)."""
    filed = CheckIn.objects.filter(user=OuterRef("pk"), iso_year=week.year, iso_week=week.week)
    return (
        User.objects.filter(
            outside_kpi_readers(),
            is_active=True,
            role__in=CHECKIN_ROLES,
            date_joined__date__lte=week.sunday,
        )
        .annotate(filed=Exists(filed))
        .order_by()
    )


def checkin_participation(as_of: date, scope: KpiScope) -> Decimal | None:
    counts = _checkin_population(last_closed_week(as_of)).aggregate(
        people=Count("id"), filed_count=Count("id", filter=Q(filed=True))
    )
    return percent_of(counts["filed_count"], counts["people"])


def _participation_row(label: str, people: int, filed: int) -> list:
    return [label, people, filed, kpi_value_display(unit="%", value=percent_of(filed, people))]


def checkin_participation_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    """Participation per team, teams below the anonymity minimum folded together.

    Whether someone filed is theirs and their manager's to know: a team of one would
    say it outright. So teams of fewer people than the minimum (and people without a
    team) are shown together as "Other teams", by the pulse's folding rule
    (``pulse_groups_fold``), which also folds a team back in when the rest would be a
    small group given away by subtraction; with no team left, only the total is shown.
    """
    week = last_closed_week(as_of)
    minimum = pulse_minimum(week)
    teams = {
        team["team"]: team
        for team in _checkin_population(week)
        .values("team")
        .annotate(people=Count("id"), filed_count=Count("id", filter=Q(filed=True)))
        .order_by()
    }
    people = sum(team["people"] for team in teams.values())
    filed = sum(team["filed_count"] for team in teams.values())
    fold = pulse_groups_fold(
        counts={team: row["people"] for team, row in teams.items()}, minimum=minimum
    )
    if fold.breakdown_shown:
        rows = [
            _participation_row(team, teams[team]["people"], teams[team]["filed_count"])
            for team in fold.shown_teams
        ]
        if fold.other_shown:
            rest = [row for team, row in teams.items() if team not in fold.shown_teams]
            rows.append(
                _participation_row(
                    OTHER_LABEL,
                    sum(row["people"] for row in rest),
                    sum(row["filed_count"] for row in rest),
                )
            )
        per_team = (
            f"Teams of fewer than {minimum} people (the organization's anonymity minimum) "
            f"and people without a team are counted together under “{OTHER_LABEL}”."
        )
    else:
        rows = [_participation_row("All teams", people, filed)] if people else []
        per_team = (
            f"No team has enough people to be shown on its own without giving away who "
            f"filed (the organization's anonymity minimum is {minimum}), so only the total "
            f"is shown."
        )
    return Evidence(
        columns=["Team", "People", "Filed a check-in", "Participation"],
        rows=rows,
        explanation=(
            f"{filed} of the {people} active consultants and sales reps outside what leaders "
            f"and admins read by name (themselves and their direct reports) filed a "
            f"check-in for {week} ({week.monday} to {week.sunday}), the last week that was over "
            f"everywhere on {as_of}: "
            f"{kpi_value_display(unit='%', value=percent_of(filed, people))}."
            f" Check-ins are private to their author and manager, so the rows count people, "
            f"never name them. {per_team}"
        ),
    )


def _energy_of_week(week: IsoWeek) -> tuple[int, int, Decimal | None]:
    """(check-ins, anonymity minimum, average) for the week; no average below the minimum.

    Every check-in filed for the week counts, its author active or not: a population
    that changed when someone is deactivated would give their score away by subtraction.
    """
    minimum = pulse_minimum(week)
    result = CheckIn.objects.filter(
        iso_year=week.year,
        iso_week=week.week,
        user__in=User.objects.filter(outside_kpi_readers()),
    ).aggregate(n=Count("id"), average=Avg("energy"))
    if result["n"] < minimum or result["average"] is None:
        return result["n"], minimum, None
    return (
        result["n"],
        minimum,
        rounded_half_up(Decimal(str(result["average"])), UNIT_PLACES["of 5"]),
    )


def team_energy(as_of: date, scope: KpiScope) -> Decimal | None:
    return _energy_of_week(last_closed_week(as_of))[2]


def team_energy_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    """The average and how many check-ins it is of; nothing finer.

    No count per score (with everyone's scores listed, one person's is what changes
    between two reads) and no average per team (a person changing teams would move
    their score from one team's average to another's).
    """
    week = last_closed_week(as_of)
    count, minimum, average = _energy_of_week(week)
    period = (
        f"{week} ({week.monday} to {week.sunday}), the last week that was over everywhere "
        f"on {as_of}"
    )
    if average is None:
        return Evidence(
            columns=["Check-ins", "Average energy"],
            rows=[],
            explanation=(
                f"{counted(count, 'check-in')} {'was' if count == 1 else 'were'} filed for "
                f"{period} by people whose check-ins no leader "
                f"or admin reads by name. The average is shown only from "
                f"{minimum} check-ins (the organization's anonymity minimum), so that no one's "
                f"own score can be read off it."
            ),
        )
    return Evidence(
        columns=["Check-ins", "Average energy"],
        rows=[[count, kpi_value_display(unit="of 5", value=average)]],
        explanation=(
            f"The average energy (1 drained … 5 full of energy) of the "
            f"{counted(count, 'check-in')} filed "
            f"for {period} by people whose check-ins no leader or admin reads by name: "
            f"{kpi_value_display(unit='of 5', value=average)}. Only the average "
            f"is shown, over the whole organization: no count per score and no average per "
            f"team, so that no one's own score can be read off the difference of two reads."
        ),
    )


KPIS: list[Kpi] = [
    Kpi(
        key="checkin_participation",
        name="Check-in participation",
        description=(
            "How many of the team filed last week's check-in: on a remote, spread-out team "
            "the check-in is how strain and blockers surface before someone burns out."
        ),
        definition=(
            "Of the active consultants and sales reps not managed by a leader or an admin "
            "(whose check-ins those readers see by name), the share who filed a "
            "check-in for the last ISO week that is over everywhere on Earth. Team-wide: "
            "filters do not apply."
        ),
        unit="%",
        higher_is_better=True,
        compute=checkin_participation,
        evidence=checkin_participation_evidence,
        uses_window=False,
    ),
    Kpi(
        key="team_energy",
        name="Team energy",
        description=(
            "How much energy the team reports: a PS team running on empty cannot be a "
            "trusted advisor for long."
        ),
        definition=(
            "The average energy (1 to 5) of the check-ins filed for the last ISO week "
            "that is over everywhere on Earth by people no leader or admin reads by name "
            "(leaders, admins and their direct reports are left out), shown only from the "
            "organization's anonymity minimum of check-ins. Team-wide: filters do not apply."
        ),
        unit="of 5",
        higher_is_better=True,
        compute=team_energy,
        evidence=team_energy_evidence,
        uses_window=False,
    ),
]
