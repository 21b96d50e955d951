"""The sales-enablement report: where handoffs surprised services, per sales rep and per kind.

PS leaders read it to decide which sales training to ask for. Every number is a set-based
aggregate over the current tenant's schema, so the report runs the same few queries
however many packets, review rounds and reps there are.

Definitions (the report page states them too):

- The period is whole calendar days, ``start`` to ``end`` included, in the current time
  zone (the viewer's own, set by ``UserTimezoneMiddleware``).
- A surprise is an item that got a verdict other than "in scope" (needs custom work, not
  possible, unclear). Each item counts once, at its first surprising verdict: the
  surprise belongs to the period of that review round, with that verdict. A later round
  that still finds the item out of scope is not a new surprise, so the counts of
  consecutive periods add up.
- A sales rep is the user who filed the packet (``HandoffPacket.filed_by``).
- First-pass acceptance: of a rep's packets whose first review round falls in the
  period, the share accepted in that first round.
- Review turnaround: ``review.created_at - review.submitted_at`` of a review round, in
  calendar days; the report shows the median over the rounds in the period.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Greatest

from handoffs.models import SURPRISE_VERDICTS, HandoffItem, HandoffReview, HandoffVerdict, Verdict
from psops.accounts.models import User

# One definition of a reporting period; kept importable here as reports.Period.
from psops.ui.numbers import rounded_half_up
from psops.ui.periods import DEFAULT_PERIOD_DAYS, SECONDS_PER_DAY, Period


def default_period(*, today: date) -> Period:
    """The last ``DEFAULT_PERIOD_DAYS`` calendar days, today included."""
    return Period(start=today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), end=today)


class Median(Aggregate):
    """PostgreSQL's exact median, ``percentile_cont(0.5)``; works on numbers and intervals."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


def review_rounds_in(*, period: Period) -> QuerySet[HandoffReview]:
    """Review rounds recorded (``created_at``) during the period."""
    after, before = period.bounds()
    return HandoffReview.objects.filter(created_at__gte=after, created_at__lt=before)


def first_surprises_in(*, period: Period) -> QuerySet[HandoffVerdict]:
    """The surprises counted in the period: each item's first surprising verdict.

    A surprise is an item that got a verdict other than "in scope" (needs custom work,
    not possible, unclear) in a review round within the period. An item counts once,
    at its first surprising verdict: a verdict is left out when an earlier round of the
    same packet already found the same item surprising. Rounds are numbered per packet,
    so "earlier" is a lower round number. A verdict whose item was deleted since
    (``item`` is NULL) is matched to earlier ones by its snapshot (packet, kind, text).
    """
    after, before = period.bounds()
    earlier = HandoffVerdict.objects.filter(
        verdict__in=SURPRISE_VERDICTS,
        review__packet=OuterRef("review__packet"),
        review__round__lt=OuterRef("review__round"),
    )
    earlier_for_item = earlier.filter(item=OuterRef("item"))
    earlier_for_snapshot = earlier.filter(
        item__isnull=True,
        item_kind=OuterRef("item_kind"),
        item_description=OuterRef("item_description"),
    )
    return HandoffVerdict.objects.filter(
        verdict__in=SURPRISE_VERDICTS,
        review__created_at__gte=after,
        review__created_at__lt=before,
    ).filter(
        (Q(item__isnull=False) & ~Exists(earlier_for_item))
        | (Q(item__isnull=True) & ~Exists(earlier_for_snapshot))
    )


@dataclass(frozen=True)
class RepRow:
    """One sales rep's numbers in the period (or the team's, for the totals row)."""

    rep: User | None
    packets_reviewed: int
    surprises: int
    first_reviews: int
    accepted_first_time: int

    @property
    def name(self) -> str:
        return self.rep.display_name if self.rep else "All reps"

    @property
    def email(self) -> str:
        return self.rep.email if self.rep else ""

    @property
    def surprises_per_packet(self) -> Decimal | None:
        """Surprises divided by packets reviewed in the period, two decimals."""
        if not self.packets_reviewed:
            return None
        return rounded_half_up(Decimal(self.surprises) / self.packets_reviewed, "0.01")

    @property
    def first_pass_percent(self) -> int | None:
        """Whole percent of first review rounds in the period that accepted the packet."""
        if not self.first_reviews:
            return None
        return int(
            rounded_half_up(Decimal(100 * self.accepted_first_time) / self.first_reviews, "1")
        )


@dataclass(frozen=True)
class MatrixRow:
    kind: str
    label: str
    counts: list[int]  # one per verdict in ``EnablementReport.matrix_verdicts``

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class EnablementReport:
    period: Period
    review_rounds: int
    reps: list[RepRow]
    totals: RepRow
    matrix_verdicts: list[tuple[str, str]]  # (value, label) of each surprising verdict
    matrix: list[MatrixRow]
    matrix_totals: list[int]
    median_turnaround_days: Decimal | None

    @property
    def is_empty(self) -> bool:
        """Nothing was reviewed in the period."""
        return self.review_rounds == 0

    @property
    def some_reps_without_first_review(self) -> bool:
        return any(row.first_pass_percent is None for row in self.reps)


def surprises_by_rep(*, period: Period) -> list[RepRow]:
    """Per sales rep with a review round in the period: packets reviewed, surprises, first pass.

    "Packets reviewed" counts the rep's distinct packets with at least one review round
    in the period. First-pass acceptance counts the rep's packets whose first review
    round (no lower round exists) falls in the period, and of those the ones accepted
    in it. Three queries, whatever the number of reps, packets or rounds. Sorted by
    surprises, most first, then by name.
    """
    earlier_round = HandoffReview.objects.filter(
        packet=OuterRef("packet"), round__lt=OuterRef("round")
    )
    rounds = list(
        review_rounds_in(period=period)
        .annotate(is_first=~Exists(earlier_round))
        .values("packet__filed_by")
        .annotate(
            packets=Count("packet", distinct=True),
            first_reviews=Count("id", filter=Q(is_first=True)),
            accepted_first_time=Count(
                "id", filter=Q(is_first=True, decision=HandoffReview.Decision.ACCEPT)
            ),
        )
        .order_by()
    )
    surprises = dict(
        first_surprises_in(period=period)
        .values("review__packet__filed_by")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("review__packet__filed_by", "count")
    )
    reps = User.objects.only("full_name", "email").in_bulk(
        [row["packet__filed_by"] for row in rounds]
    )
    rows = [
        RepRow(
            rep=reps[row["packet__filed_by"]],
            packets_reviewed=row["packets"],
            surprises=surprises.get(row["packet__filed_by"], 0),
            first_reviews=row["first_reviews"],
            accepted_first_time=row["accepted_first_time"],
        )
        for row in rounds
    ]
    return sorted(rows, key=lambda row: (-row.surprises, row.name.lower(), row.email))


def surprises_by_kind_and_verdict(*, period: Period) -> dict[tuple[str, str], int]:
    """Surprises in the period (see ``first_surprises_in``) by item kind and verdict.

    The kind is the item's kind when it was reviewed (the verdict's snapshot).
    """
    counts = (
        first_surprises_in(period=period)
        .values("item_kind", "verdict")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {(row["item_kind"], row["verdict"]): row["count"] for row in counts}


def non_negative_duration(duration: CombinedExpression) -> Greatest:
    """A duration, or zero if it would be negative: a review recorded before the round
    it reviews was submitted (a clock or an import gone wrong) took no time, not less."""
    return Greatest(duration, Value(timedelta(0)), output_field=DurationField())


def review_turnaround(*, period: Period) -> tuple[int, Decimal | None]:
    """The number of review rounds in the period and their median turnaround in days.

    Turnaround of a round = ``created_at - submitted_at`` (when the review was recorded
    minus when the packet it reviewed was submitted), in calendar days, not business
    days; the median is rounded to one decimal. None when no round falls in the period.
    """
    result = review_rounds_in(period=period).aggregate(
        rounds=Count("id"),
        median=Median(
            non_negative_duration(F("created_at") - F("submitted_at")),
            output_field=DurationField(),
        ),
    )
    median: timedelta | None = result["median"]
    if median is None:
        return result["rounds"], None
    days = Decimal(str(median.total_seconds())) / SECONDS_PER_DAY
    return result["rounds"], rounded_half_up(days, "0.1")


def _matrix(
    counts: dict[tuple[str, str], int], verdicts: Iterable[str]
) -> tuple[list[MatrixRow], list[int]]:
    verdicts = list(verdicts)
    labels = dict(HandoffItem.Kind.choices)
    # Every kind is a row, even with no surprise; a kind no longer in the choices
    # (an old snapshot) still shows under its stored name.
    kinds = list(labels) + sorted({kind for kind, _ in counts} - set(labels))
    rows = [
        MatrixRow(
            kind=kind,
            label=labels.get(kind, kind),
            counts=[counts.get((kind, verdict), 0) for verdict in verdicts],
        )
        for kind in kinds
    ]
    totals = [sum(row.counts[index] for row in rows) for index in range(len(verdicts))]
    return rows, totals


def enablement_report(*, period: Period) -> EnablementReport:
    """Everything the sales-enablement page and its CSV show, in five queries."""
    review_rounds, median_days = review_turnaround(period=period)
    reps = surprises_by_rep(period=period) if review_rounds else []
    counts = surprises_by_kind_and_verdict(period=period) if review_rounds else {}
    matrix_verdicts = [(value, Verdict(value).label) for value in SURPRISE_VERDICTS]
    matrix, matrix_totals = _matrix(counts, [value for value, _ in matrix_verdicts])
    totals = RepRow(
        rep=None,
        packets_reviewed=sum(row.packets_reviewed for row in reps),
        surprises=sum(row.surprises for row in reps),
        first_reviews=sum(row.first_reviews for row in reps),
        accepted_first_time=sum(row.accepted_first_time for row in reps),
    )
    return EnablementReport(
        period=period,
        review_rounds=review_rounds,
        reps=reps,
        totals=totals,
        matrix_verdicts=matrix_verdicts,
        matrix=matrix,
        matrix_totals=matrix_totals,
        median_turnaround_days=median_days,
    )
