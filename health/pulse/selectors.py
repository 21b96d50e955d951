"""What leaders may see of the pulse: closed weeks and large enough groups only."""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from itertools import pairwise
from operator import or_

from django.db.models import Count, Q, Sum

from health.anonymity import OTHER_LABEL, PulseFold, pulse_groups_fold, pulse_minimum
from health.models import PulseResponse
from health.pulse.services import pulse_closing_today
from health.weeks import IsoWeek, recent_weeks

SCORES = ("energy", "workload", "safety")
SCORE_LABELS = {"energy": "Energy", "workload": "Workload", "safety": "Psychological safety"}
RESULT_WEEKS = 12
_random = secrets.SystemRandom()


@dataclass(frozen=True)
class PulseScores:
    n: int
    energy: float
    workload: float
    safety: float

    @classmethod
    def of(cls, sums: Iterable[Mapping[str, int]]) -> "PulseScores":
        sums = list(sums)
        n = sum(row["n"] for row in sums)
        return cls(n, *(sum(row[score] for row in sums) / n for score in SCORES))


@dataclass
class PulseGroup:
    label: str
    scores: PulseScores
    is_other: bool = False
    comments: list[str] = field(default_factory=list)


@dataclass
class PulseWeekResults:
    """One week as leaders may see it. ``state``: "open", "too_few" or "shown"."""

    week: IsoWeek
    state: str
    minimum: int
    overall: PulseGroup | None = None
    groups: list[PulseGroup] = field(default_factory=list)
    fold: PulseFold | None = None

    @property
    def breakdown_withheld_for_subtraction(self) -> bool:
        return bool(
            self.fold and not self.fold.breakdown_shown and self.fold.folded_for_subtraction
        )

    @property
    def comments_under_overall(self) -> bool:
        return bool(self.overall and not self.groups)


def pulse_results_for_weeks(
    *, weeks: Sequence[IsoWeek], minimum: int, today: date, with_comments: bool = True
) -> list[PulseWeekResults]:
    """Results of ``weeks`` (in the order given) in at most two queries.

    ``today`` is the reader's date; a week counts as closed only once it is closed
    everywhere too, so a reader's time zone never shows a week early.
    """
    closing_day = min(today, pulse_closing_today())
    closed = [week for week in weeks if week.is_closed(closing_day)]
    sums: dict[IsoWeek, dict[str, dict]] = {week: {} for week in closed}
    if closed:
        rows = (
            PulseResponse.objects.filter(_weeks_q(closed))
            .values("iso_year", "iso_week", "team")
            .annotate(n=Count("id"), **{score: Sum(score) for score in SCORES})
            .order_by()
        )
        for row in rows:
            sums[IsoWeek(row["iso_year"], row["iso_week"])][row["team"]] = row

    results: dict[IsoWeek, PulseWeekResults] = {}
    for week in weeks:
        if week not in sums:
            results[week] = PulseWeekResults(week, "open", minimum)
            continue
        by_team = sums[week]
        fold = pulse_groups_fold(
            counts={team: row["n"] for team, row in by_team.items()}, minimum=minimum
        )
        if not fold.overall_shown:
            results[week] = PulseWeekResults(week, "too_few", minimum)
            continue
        groups = [PulseGroup(team, PulseScores.of([by_team[team]])) for team in fold.shown_teams]
        if fold.other_shown:
            other = [row for team, row in by_team.items() if team not in fold.shown_teams]
            groups.append(PulseGroup(OTHER_LABEL, PulseScores.of(other), is_other=True))
        overall = PulseGroup("All teams", PulseScores.of(by_team.values()))
        results[week] = PulseWeekResults(week, "shown", minimum, overall, groups, fold)

    if with_comments:
        _comments_attach([result for result in results.values() if result.state == "shown"])
    return [results[week] for week in weeks]


def _weeks_q(weeks: Iterable[IsoWeek]) -> Q:
    return reduce(or_, (Q(iso_year=week.year, iso_week=week.week) for week in weeks))


def _comments_attach(results: list[PulseWeekResults]) -> None:
    """Each comment under the smallest group shown that holds it, in random order."""
    if not results:
        return
    by_week = {result.week: result for result in results}
    comments = (
        PulseResponse.objects.filter(_weeks_q(by_week))
        .exclude(comment="")
        .values_list("iso_year", "iso_week", "team", "comment")
    )
    for year, week_number, team, comment in comments:
        result = by_week[IsoWeek(year, week_number)]
        if not result.groups:
            target = result.overall
        elif team in result.fold.shown_teams:
            target = next(group for group in result.groups if group.label == team)
        else:
            target = result.groups[-1]  # "Other teams", shown: the fold guarantees it
        target.comments.append(comment)
    for result in results:
        for group in [result.overall, *result.groups]:
            _random.shuffle(group.comments)


def pulse_results(*, week: IsoWeek, minimum: int, today: date | None = None) -> PulseWeekResults:
    """The results of one week: nothing while it is open or below ``minimum``."""
    today = today or pulse_closing_today()
    return pulse_results_for_weeks(weeks=[week], minimum=minimum, today=today)[0]


@dataclass(frozen=True)
class PulseSummary:
    """The leader dashboard's pulse: the latest closed week with results, and its trend."""

    week: IsoWeek
    scores: PulseScores
    minimum: int
    previous_week: IsoWeek
    previous: PulseScores | None

    @property
    def trend(self) -> dict[str, float] | None:
        if self.previous is None:
            return None
        return {
            score: round(getattr(self.scores, score) - getattr(self.previous, score), 1)
            for score in SCORES
        }

    @property
    def rows(self) -> list[dict]:
        """Label, average and change since the week before, per score, for templates."""
        trend = self.trend
        return [
            {
                "label": SCORE_LABELS[score],
                "value": getattr(self.scores, score),
                "delta": trend[score] if trend else None,
            }
            for score in SCORES
        ]


def pulse_dashboard_summary(*, today: date) -> PulseSummary | None:
    """The latest closed week with results in the last 12, with the week before it."""
    minimum = pulse_minimum()
    weeks = recent_weeks(today=today, count=RESULT_WEEKS + 1, include_current=False)
    results = pulse_results_for_weeks(
        weeks=weeks, minimum=minimum, today=today, with_comments=False
    )
    for previous, latest in reversed(list(pairwise(results))):
        if latest.overall:
            return PulseSummary(
                week=latest.week,
                scores=latest.overall.scores,
                minimum=minimum,
                previous_week=previous.week,
                previous=previous.overall.scores if previous.overall else None,
            )
    return None
