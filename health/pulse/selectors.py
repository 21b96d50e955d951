"""What leaders may see of the pulse: closed weeks and large enough groups only.

Scores need a group of the week's minimum; comments need twice that
(``COMMENT_FACTOR``), by the same folding rules: see the threat model in
``health.pulse``. Every figure says how many answers it rests on.
"""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from itertools import pairwise
from operator import or_

from django.db.models import Count, Q, Sum

from health.anonymity import (
    OTHER,
    OTHER_LABEL,
    PulseFold,
    pulse_groups_fold,
    pulse_minimums,
)
from health.models import PulseResponse
from health.pulse.services import pulse_closing_today
from health.weeks import IsoWeek, recent_weeks

SCORES = ("energy", "workload", "safety")
SCORE_LABELS = {"energy": "Energy", "workload": "Workload", "safety": "Psychological safety"}
RESULT_WEEKS = 12
# Comments need a group this many times the minimum (see the threat model).
COMMENT_FACTOR = 2
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
    """One week as leaders may see it. ``state``: "open", "too_few" or "shown".

    Comments: under a team of ``groups`` whose name ``comment_fold`` shows, the rest in
    ``other_comments`` (from ``other_comments_n`` answers), or all under ``overall``
    when no team may show its own; none when ``comments_withheld``.
    """

    week: IsoWeek
    state: str
    minimum: int
    overall: PulseGroup | None = None
    groups: list[PulseGroup] = field(default_factory=list)
    fold: PulseFold | None = None
    comment_fold: PulseFold | None = None
    other_comments: list[str] = field(default_factory=list)

    @property
    def comment_minimum(self) -> int:
        return COMMENT_FACTOR * self.minimum

    @property
    def comments_withheld(self) -> bool:
        return self.state == "shown" and not (self.comment_fold and self.comment_fold.overall_shown)

    @property
    def other_comments_n(self) -> int:
        return self.comment_fold.other_count if self.comment_fold else 0

    @property
    def breakdown_withheld_for_subtraction(self) -> bool:
        return bool(
            self.fold and not self.fold.breakdown_shown and self.fold.folded_for_subtraction
        )

    @property
    def comments_under_overall(self) -> bool:
        return bool(
            self.overall
            and self.comment_fold
            and self.comment_fold.overall_shown
            and not self.comment_fold.shown_teams
        )


def pulse_results_for_weeks(
    *,
    weeks: Sequence[IsoWeek],
    today: date,
    minimum: int | None = None,
    with_comments: bool = True,
) -> list[PulseWeekResults]:
    """Results of ``weeks`` (in the order given) in at most three queries.

    ``today`` is the reader's date; a week counts as closed only once it is closed
    everywhere too, so a reader's time zone never shows a week early. Each week is
    judged by the minimum in force for it, unless ``minimum`` is given.
    """
    minimums = dict.fromkeys(weeks, minimum) if minimum else pulse_minimums(weeks=weeks)
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
        week_minimum = minimums[week]
        if week not in sums:
            results[week] = PulseWeekResults(week, "open", week_minimum)
            continue
        by_team = sums[week]
        fold = pulse_groups_fold(
            counts={team: row["n"] for team, row in by_team.items()}, minimum=week_minimum
        )
        if not fold.overall_shown:
            results[week] = PulseWeekResults(week, "too_few", week_minimum)
            continue
        groups = [PulseGroup(team, PulseScores.of([by_team[team]])) for team in fold.shown_teams]
        if fold.other_shown:
            other = [row for team, row in by_team.items() if team not in fold.shown_teams]
            groups.append(PulseGroup(OTHER_LABEL, PulseScores.of(other), is_other=True))
        overall = PulseGroup("All teams", PulseScores.of(by_team.values()))
        # Comments fold the groups shown again, at the comments' larger minimum: only
        # teams shown with scores can keep their name, the rest go together.
        comment_counts = {team: by_team[team]["n"] for team in fold.shown_teams}
        if fold.other_count:
            comment_counts[OTHER] = fold.other_count
        comment_fold = pulse_groups_fold(
            counts=comment_counts, minimum=COMMENT_FACTOR * week_minimum
        )
        results[week] = PulseWeekResults(
            week, "shown", week_minimum, overall, groups, fold, comment_fold
        )

    if with_comments:
        _comments_attach([result for result in results.values() if result.state == "shown"])
    return [results[week] for week in weeks]


def _weeks_q(weeks: Iterable[IsoWeek]) -> Q:
    return reduce(or_, (Q(iso_year=week.year, iso_week=week.week) for week in weeks))


def _comments_attach(results: list[PulseWeekResults]) -> None:
    """Each comment under its team if the comment fold shows the team, else with the
    rest of the week's comments (or under all teams), in random order; none for a week
    whose answers are fewer than the comments' minimum."""
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
        comment_fold = result.comment_fold
        if comment_fold is None or not comment_fold.overall_shown:
            continue  # too few answers for any comment to be shown
        if not comment_fold.shown_teams:
            result.overall.comments.append(comment)
        elif team in comment_fold.shown_teams:
            next(group for group in result.groups if group.label == team).comments.append(comment)
        else:
            result.other_comments.append(comment)
    for result in results:
        _random.shuffle(result.other_comments)
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
    weeks = recent_weeks(today=today, count=RESULT_WEEKS + 1, include_current=False)
    results = pulse_results_for_weeks(weeks=weeks, today=today, with_comments=False)
    for previous, latest in reversed(list(pairwise(results))):
        if latest.overall:
            return PulseSummary(
                week=latest.week,
                scores=latest.overall.scores,
                minimum=latest.minimum,
                previous_week=previous.week,
                previous=previous.overall.scores if previous.overall else None,
            )
    return None
