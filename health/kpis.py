"""The KPI registry: every number PS is measured on, defined once, in code.

Read this first. Each ``Kpi`` says what it measures and why that is a PS measure,
its unit, which direction is better, and two functions:

- ``compute(as_of, scope)`` returns the value on the day ``as_of`` (``None`` when
  there is nothing to measure). It reads only what was already true on that day
  (a pain point resolved by then, a follow-up completed by then), so the daily
  snapshots and the backfill from history (``health.snapshots``) agree.
- ``evidence(as_of, scope)`` returns the rows behind the number and a sentence on
  how it was computed, with the actual counts: what the tile's drill-down shows.

Both are set-based: a fixed number of queries per KPI, whatever the number of rows.

What history does not keep, a past day cannot see: a recommendation's status is its
current one (a deferral later accepted moves to its new decision date), a follow-up
cancelled after the day is left out, users deactivated since are not counted, and a
scaling pain point projects from the numbers last recorded on it.

``KpiScope`` narrows a KPI. Engagement KPIs respect the lead and the engagement
kind, handoff KPIs the kind of engagement sold (``HandoffPacket.engagement_kind``),
team KPIs neither. The window is ``[as_of - period_days, as_of]``, both days
included, in the current time zone. Tenants store only targets (``KpiTarget``) and
daily values (``KpiSnapshot``); ``kpi_tiles`` puts value, target and trend together.

Definitions shared with the handoffs app (surprise, first-pass acceptance, review
turnaround) are taken from ``handoffs.reports``, so the dashboard and the
sales-enablement report never disagree.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import (
    Avg,
    Count,
    DateField,
    DurationField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from engagements.models import Engagement, FollowUp, PainPoint, Recommendation
from engagements.projections import CapacityProjection, ProjectionState, capacity_projection
from handoffs.models import HandoffPacket, HandoffReview
from handoffs.reports import (
    SECONDS_PER_DAY,
    Median,
    Period,
    first_surprises_in,
    review_rounds_in,
)
from health.models import CheckIn, KpiSnapshot, KpiTarget
from health.pulse import OTHER_LABEL, pulse_groups_fold, pulse_minimum
from health.weeks import IsoWeek
from health.weeks import last_closed_week as weeks_last_closed_week
from psops.accounts.models import Role, User

DEFAULT_PERIOD_DAYS = 90
RESOLUTION_DAYS = 90  # "resolved within 90 days"
BREACH_HORIZON_DAYS = 90  # "projected to breach within 90 days"
CHECKIN_ROLES = (Role.LEADER, Role.CONSULTANT, Role.SALES)
EVIDENCE_ROW_LIMIT = 500
SPARKLINE_WEEKS = 12
# "Near" target: within this share of the target, on the wrong side of it.
NEAR_TOLERANCE = Decimal("0.10")

UNITS = ("%", "days", "count", "per handoff", "of 5")
# How many decimals each unit is computed, stored and shown with.
UNIT_PLACES = {
    "%": Decimal("0.1"),
    "days": Decimal("0.1"),
    "count": Decimal("1"),
    "per handoff": Decimal("0.01"),
    "of 5": Decimal("0.1"),
}


@dataclass(frozen=True)
class KpiScope:
    lead_id: int | None = None
    kind: str = ""
    period_days: int = DEFAULT_PERIOD_DAYS

    @property
    def is_default(self) -> bool:
        """The scope the daily snapshots are computed for: the whole organization."""
        return self == KpiScope()

    def window(self, as_of: date) -> tuple[date, date]:
        return as_of - timedelta(days=self.period_days), as_of

    def period(self, as_of: date) -> Period:
        start, end = self.window(as_of)
        return Period(start=start, end=end)


@dataclass(frozen=True)
class Link:
    """An evidence cell that links to the record it names."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Evidence:
    columns: list[str]
    rows: list[list]
    explanation: str
    truncated: bool = False  # only the first EVIDENCE_ROW_LIMIT rows are listed

    def __post_init__(self):
        # Days read the same everywhere (2025-03-31), whatever the viewer's locale.
        cells = [[_cell(value) for value in row] for row in self.rows]
        object.__setattr__(self, "rows", cells)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Kpi:
    key: str
    name: str
    description: str  # what it measures and why it is a PS measure
    definition: str  # exactly what is counted, for the evidence page and the targets form
    unit: str
    higher_is_better: bool
    compute: Callable[[date, KpiScope], Decimal | None]
    evidence: Callable[[date, KpiScope], Evidence]
    # Which parts of KpiScope narrow this KPI ("lead", "kind"); the window always applies
    # unless ``uses_window`` is False (a count of what stands on the day).
    scoped_by: tuple[str, ...] = ()
    uses_window: bool = True

    def __post_init__(self):
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}")

    def display(self, value: Decimal | None) -> str:
        return kpi_value_display(unit=self.unit, value=value)

    def effective_scope(self, scope: KpiScope) -> KpiScope:
        """``scope`` without the parts this KPI ignores (a team KPI ignores them all)."""
        return KpiScope(
            lead_id=scope.lead_id if "lead" in self.scoped_by else None,
            kind=scope.kind if "kind" in self.scoped_by else "",
            period_days=scope.period_days if self.uses_window else DEFAULT_PERIOD_DAYS,
        )


# --- Helpers ------------------------------------------------------------------------------


def _rounded(value: Decimal, places: Decimal) -> Decimal:
    # Half up, as people round; Python's round() would give 0.2 for 0.25.
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return _rounded(Decimal(100 * part) / whole, UNIT_PLACES["%"])


def _days(duration: timedelta | None) -> Decimal | None:
    if duration is None:
        return None
    return _rounded(Decimal(str(duration.total_seconds())) / SECONDS_PER_DAY, UNIT_PLACES["days"])


def _plain(value: Decimal) -> str:
    """75.0 -> "75", 66.70 -> "66.7": no trailing zeros, never an exponent."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def kpi_value_parts(*, unit: str, value: Decimal | None) -> tuple[str, str]:
    """The number and what follows it ("75", "%"), so a tile can set the unit smaller."""
    if value is None:
        return "—", ""
    number = _plain(value)
    if unit == "%":
        return number, "%"
    if unit == "days":
        return number, " day" if value == 1 else " days"
    if unit == "count":
        return number, ""
    return number, f" {unit}"


def kpi_value_display(*, unit: str, value: Decimal | None) -> str:
    """A value with its unit, as a tile shows it; "—" when there is nothing to measure."""
    return "".join(kpi_value_parts(unit=unit, value=value))


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _engagement_link(engagement: Engagement) -> Link:
    return Link(f"{engagement.client.name}: {engagement.name}", engagement.get_absolute_url())


def _limited(queryset: QuerySet) -> tuple[list, bool]:
    rows = list(queryset[: EVIDENCE_ROW_LIMIT + 1])
    return rows[:EVIDENCE_ROW_LIMIT], len(rows) > EVIDENCE_ROW_LIMIT


def _engagement_filter(scope: KpiScope, prefix: str = "engagement__") -> Q:
    condition = Q()
    if scope.lead_id:
        condition &= Q(**{f"{prefix}lead_id": scope.lead_id})
    if scope.kind:
        condition &= Q(**{f"{prefix}kind": scope.kind})
    return condition


def _packet_filter(scope: KpiScope, prefix: str) -> Q:
    return Q(**{f"{prefix}engagement_kind": scope.kind}) if scope.kind else Q()


def _window_text(scope: KpiScope, as_of: date) -> str:
    start, end = scope.window(as_of)
    return f"{start} to {end}"


# --- Pain points resolved within 90 days --------------------------------------------------


def _resolution_cohort(as_of: date, scope: KpiScope) -> QuerySet[PainPoint]:
    """Pain points whose 90th day falls in the window: each has had its full 90 days."""
    start, end = scope.window(as_of)
    allowed = timedelta(days=RESOLUTION_DAYS)
    return (
        PainPoint.objects.filter(
            _engagement_filter(scope),
            identified_on__gte=start - allowed,
            identified_on__lte=end - allowed,
        )
        .annotate(
            resolved_in_time=Q(
                status=PainPoint.Status.RESOLVED,
                resolved_on__lte=F("identified_on") + allowed,
            )
        )
        .order_by()
    )


def resolved_within_90_days(as_of: date, scope: KpiScope) -> Decimal | None:
    counts = _resolution_cohort(as_of, scope).aggregate(
        due=Count("id"), resolved=Count("id", filter=Q(resolved_in_time=True))
    )
    return _percent(counts["resolved"], counts["due"])


def resolved_within_90_days_evidence(as_of: date, scope: KpiScope) -> Evidence:
    cohort = _resolution_cohort(as_of, scope)
    counts = cohort.aggregate(
        due=Count("id"), resolved=Count("id", filter=Q(resolved_in_time=True))
    )
    rows, truncated = _limited(
        cohort.select_related("engagement__client").order_by("identified_on", "id")
    )
    value = _percent(counts["resolved"], counts["due"])
    return Evidence(
        columns=[
            "Pain point",
            "Engagement",
            "Identified",
            "90 days on",
            "Status",
            "Resolved",
            "Within 90 days",
        ],
        rows=[
            [
                Link(point.title, point.get_absolute_url()),
                _engagement_link(point.engagement),
                point.identified_on,
                point.identified_on + timedelta(days=RESOLUTION_DAYS),
                point.get_status_display(),
                point.resolved_on or "",
                _yes_no(point.resolved_in_time),
            ]
            for point in rows
        ],
        explanation=(
            f"{counts['resolved']} of the {counts['due']} pain points that reached 90 days "
            f"between {_window_text(scope, as_of)} were resolved within 90 days of being "
            f"identified: {kpi_value_display(unit='%', value=value)}."
        ),
        truncated=truncated,
    )


# --- Median days to resolve a pain point -----------------------------------------------


def _resolved_in_window(as_of: date, scope: KpiScope) -> QuerySet[PainPoint]:
    start, end = scope.window(as_of)
    return (
        PainPoint.objects.filter(
            _engagement_filter(scope),
            status=PainPoint.Status.RESOLVED,
            resolved_on__gte=start,
            resolved_on__lte=end,
        )
        .annotate(time_to_resolve=F("resolved_on") - F("identified_on"))
        .order_by()
    )


def _median_days(queryset: QuerySet, expression) -> tuple[int, Decimal | None]:
    result = queryset.aggregate(
        n=Count("id"), median=Median(expression, output_field=DurationField())
    )
    return result["n"], _days(result["median"])


def median_days_to_resolve(as_of: date, scope: KpiScope) -> Decimal | None:
    return _median_days(_resolved_in_window(as_of, scope), F("time_to_resolve"))[1]


def median_days_to_resolve_evidence(as_of: date, scope: KpiScope) -> Evidence:
    resolved = _resolved_in_window(as_of, scope)
    count, median = _median_days(resolved, F("time_to_resolve"))
    rows, truncated = _limited(
        resolved.select_related("engagement__client").order_by("time_to_resolve", "id")
    )
    return Evidence(
        columns=["Pain point", "Engagement", "Identified", "Resolved", "Days to resolve"],
        rows=[
            [
                Link(point.title, point.get_absolute_url()),
                _engagement_link(point.engagement),
                point.identified_on,
                point.resolved_on,
                point.time_to_resolve.days,
            ]
            for point in rows
        ],
        explanation=(
            f"The median of the days from identification to resolution over the {count} "
            f"pain points resolved {_window_text(scope, as_of)}: "
            f"{kpi_value_display(unit='days', value=median)}."
        ),
        truncated=truncated,
    )


# --- Recommendation adoption -----------------------------------------------------------

DECIDED = (
    Recommendation.Status.ACCEPTED,
    Recommendation.Status.DONE,
    Recommendation.Status.DEFERRED,
    Recommendation.Status.DECLINED,
)
ADOPTED = (Recommendation.Status.ACCEPTED, Recommendation.Status.DONE)


def _decided_recommendations(as_of: date, scope: KpiScope) -> QuerySet[Recommendation]:
    start, end = scope.window(as_of)
    # A decision recorded without a date counts on the day the recommendation was made.
    return (
        Recommendation.objects.filter(_engagement_filter(scope), status__in=DECIDED)
        .annotate(decided=Coalesce("decided_on", "proposed_on"))
        .filter(decided__gte=start, decided__lte=end)
        .order_by()
    )


def _adoption_counts(queryset: QuerySet) -> dict:
    return queryset.aggregate(
        decided_count=Count("id"), adopted=Count("id", filter=Q(status__in=ADOPTED))
    )


def recommendation_adoption(as_of: date, scope: KpiScope) -> Decimal | None:
    counts = _adoption_counts(_decided_recommendations(as_of, scope))
    return _percent(counts["adopted"], counts["decided_count"])


def recommendation_adoption_evidence(as_of: date, scope: KpiScope) -> Evidence:
    decided = _decided_recommendations(as_of, scope)
    counts = _adoption_counts(decided)
    value = _percent(counts["adopted"], counts["decided_count"])
    rows, truncated = _limited(
        decided.select_related("engagement__client").order_by("decided", "id")
    )
    return Evidence(
        columns=["Recommendation", "Engagement", "Decided", "Decision", "Decided by", "Adopted"],
        rows=[
            [
                Link(rec.title, rec.engagement.get_absolute_url() + "#recommendations"),
                _engagement_link(rec.engagement),
                rec.decided,
                rec.get_status_display(),
                rec.decided_by,
                _yes_no(rec.status in ADOPTED),
            ]
            for rec in rows
        ],
        explanation=(
            f"{counts['adopted']} of the {counts['decided_count']} recommendations the client "
            f"decided on {_window_text(scope, as_of)} were accepted or done: "
            f"{kpi_value_display(unit='%', value=value)}."
        ),
        truncated=truncated,
    )


# --- Follow-ups done on time -----------------------------------------------------------


def _followups_due(as_of: date, scope: KpiScope) -> QuerySet[FollowUp]:
    start, end = scope.window(as_of)
    return (
        FollowUp.objects.filter(_engagement_filter(scope), due_on__gte=start, due_on__lte=end)
        .exclude(status=FollowUp.Status.CANCELLED)
        .annotate(
            on_time=Q(status=FollowUp.Status.DONE, completed_at__date__lte=F("due_on")),
        )
        .order_by()
    )


def _on_time_counts(queryset: QuerySet) -> dict:
    return queryset.aggregate(due=Count("id"), on_time_count=Count("id", filter=Q(on_time=True)))


def followups_on_time(as_of: date, scope: KpiScope) -> Decimal | None:
    counts = _on_time_counts(_followups_due(as_of, scope))
    return _percent(counts["on_time_count"], counts["due"])


def followups_on_time_evidence(as_of: date, scope: KpiScope) -> Evidence:
    due = _followups_due(as_of, scope)
    counts = _on_time_counts(due)
    value = _percent(counts["on_time_count"], counts["due"])
    rows, truncated = _limited(
        due.select_related("engagement__client", "owner").order_by("due_on", "id")
    )
    return Evidence(
        columns=["Follow-up", "Engagement", "Owner", "Due", "Completed", "On time"],
        rows=[
            [
                Link(followup.title, followup.engagement.get_absolute_url() + "#followups"),
                _engagement_link(followup.engagement),
                followup.owner.display_name,
                followup.due_on,
                timezone.localdate(followup.completed_at) if followup.completed_at else "",
                _yes_no(followup.on_time),
            ]
            for followup in rows
        ],
        explanation=(
            f"{counts['on_time_count']} of the {counts['due']} follow-ups due "
            f"{_window_text(scope, as_of)} (cancelled ones left out) were done on or before "
            f"their due date: {kpi_value_display(unit='%', value=value)}."
        ),
        truncated=truncated,
    )


# --- Handoff first-pass acceptance -----------------------------------------------------


def _first_rounds(as_of: date, scope: KpiScope) -> QuerySet[HandoffReview]:
    """First review rounds (no lower round of the packet) recorded in the window."""
    earlier_round = HandoffReview.objects.filter(
        packet=OuterRef("packet"), round__lt=OuterRef("round")
    )
    return (
        review_rounds_in(period=scope.period(as_of))
        .filter(_packet_filter(scope, "packet__"))
        .filter(~Exists(earlier_round))
        .order_by()
    )


def _first_pass_counts(queryset: QuerySet) -> dict:
    return queryset.aggregate(
        first_reviews=Count("id"),
        accepted=Count("id", filter=Q(decision=HandoffReview.Decision.ACCEPT)),
    )


def handoff_first_pass(as_of: date, scope: KpiScope) -> Decimal | None:
    counts = _first_pass_counts(_first_rounds(as_of, scope))
    return _percent(counts["accepted"], counts["first_reviews"])


def handoff_first_pass_evidence(as_of: date, scope: KpiScope) -> Evidence:
    rounds = _first_rounds(as_of, scope)
    counts = _first_pass_counts(rounds)
    value = _percent(counts["accepted"], counts["first_reviews"])
    rows, truncated = _limited(
        rounds.select_related("packet__filed_by", "reviewer").order_by("created_at", "id")
    )
    return Evidence(
        columns=[
            "Handoff",
            "Sales rep",
            "First reviewed",
            "Reviewer",
            "Decision",
            "Accepted first time",
        ],
        rows=[
            [
                Link(review.packet.deal_name, review.packet.get_absolute_url()),
                review.packet.filed_by.display_name,
                timezone.localdate(review.created_at),
                review.reviewer.display_name,
                review.get_decision_display(),
                _yes_no(review.decision == HandoffReview.Decision.ACCEPT),
            ]
            for review in rows
        ],
        explanation=(
            f"{counts['accepted']} of the {counts['first_reviews']} handoff packets whose first "
            f"review round was {_window_text(scope, as_of)} were accepted in that first round: "
            f"{kpi_value_display(unit='%', value=value)}."
        ),
        truncated=truncated,
    )


# --- Surprises per handoff ---------------------------------------------------------------


def _surprise_counts(as_of: date, scope: KpiScope) -> tuple[int, int]:
    period = scope.period(as_of)
    surprises = first_surprises_in(period=period).filter(_packet_filter(scope, "review__packet__"))
    packets = (
        review_rounds_in(period=period)
        .filter(_packet_filter(scope, "packet__"))
        .values("packet")
        .distinct()
    )
    return surprises.count(), packets.count()


def _per_handoff(surprises: int, packets: int) -> Decimal | None:
    if not packets:
        return None
    return _rounded(Decimal(surprises) / packets, UNIT_PLACES["per handoff"])


def surprises_per_handoff(as_of: date, scope: KpiScope) -> Decimal | None:
    return _per_handoff(*_surprise_counts(as_of, scope))


def surprises_per_handoff_evidence(as_of: date, scope: KpiScope) -> Evidence:
    period = scope.period(as_of)
    surprises, packet_count = _surprise_counts(as_of, scope)
    after, before = period.bounds()
    surprises_of_packet = (
        first_surprises_in(period=period)
        .filter(review__packet=OuterRef("pk"))
        .order_by()
        .values("review__packet")
        .annotate(n=Count("id"))
        .values("n")
    )
    rounds_in_window = Q(reviews__created_at__gte=after, reviews__created_at__lt=before)
    packets = (
        HandoffPacket.objects.filter(rounds_in_window, _packet_filter(scope, ""))
        .annotate(
            rounds=Count("reviews", filter=rounds_in_window, distinct=True),
            surprise_count=Coalesce(Subquery(surprises_of_packet), 0),
        )
        .select_related("filed_by")
        .order_by("-surprise_count", "deal_name", "id")
    )
    rows, truncated = _limited(packets)
    value = _per_handoff(surprises, packet_count)
    return Evidence(
        columns=["Handoff", "Sales rep", "Review rounds in the window", "Surprises"],
        rows=[
            [
                Link(packet.deal_name, packet.get_absolute_url()),
                packet.filed_by.display_name,
                packet.rounds,
                packet.surprise_count,
            ]
            for packet in rows
        ],
        explanation=(
            f"{surprises} surprises (items judged “needs custom work”, “not possible” or "
            f"“unclear”, each item counted once at its first such verdict) in review rounds "
            f"{_window_text(scope, as_of)}, over the {packet_count} packets reviewed then: "
            f"{kpi_value_display(unit='per handoff', value=value)}."
        ),
        truncated=truncated,
    )


# --- Median review turnaround ------------------------------------------------------------


def _review_rounds(as_of: date, scope: KpiScope) -> QuerySet[HandoffReview]:
    return (
        review_rounds_in(period=scope.period(as_of))
        .filter(_packet_filter(scope, "packet__"))
        .annotate(turnaround=F("created_at") - F("submitted_at"))
        .order_by()
    )


def median_review_turnaround(as_of: date, scope: KpiScope) -> Decimal | None:
    return _median_days(_review_rounds(as_of, scope), F("turnaround"))[1]


def median_review_turnaround_evidence(as_of: date, scope: KpiScope) -> Evidence:
    rounds = _review_rounds(as_of, scope)
    count, median = _median_days(rounds, F("turnaround"))
    rows, truncated = _limited(rounds.select_related("packet").order_by("turnaround", "id"))
    return Evidence(
        columns=["Handoff", "Round", "Submitted", "Reviewed", "Turnaround (days)", "Decision"],
        rows=[
            [
                Link(review.packet.deal_name, review.packet.get_absolute_url()),
                review.round,
                timezone.localtime(review.submitted_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(review.created_at).strftime("%Y-%m-%d %H:%M"),
                _days(review.turnaround),
                review.get_decision_display(),
            ]
            for review in rows
        ],
        explanation=(
            f"The median, over the {count} review rounds recorded {_window_text(scope, as_of)}, "
            f"of the time from the packet's submission to its review, in calendar days: "
            f"{kpi_value_display(unit='days', value=median)}."
        ),
        truncated=truncated,
    )


# --- Time to value -------------------------------------------------------------------------


def _time_to_value_rows(as_of: date, scope: KpiScope) -> QuerySet[Engagement]:
    """Engagements from an accepted handoff whose first pain point resolved after acceptance
    was resolved in the window."""
    start, end = scope.window(as_of)
    resolved_since_acceptance = PainPoint.objects.filter(
        engagement=OuterRef("pk"),
        status=PainPoint.Status.RESOLVED,
        resolved_on__lte=as_of,
        resolved_on__gte=OuterRef("accepted_on"),
    ).order_by("resolved_on", "id")
    return (
        Engagement.objects.filter(
            _engagement_filter(scope, prefix=""),
            origin_handoff__status=HandoffPacket.Status.ACCEPTED,
            origin_handoff__decided_at__isnull=False,
        )
        .annotate(accepted_on=TruncDate("origin_handoff__decided_at"))
        .annotate(
            first_value_on=Subquery(
                resolved_since_acceptance.values("resolved_on")[:1], output_field=DateField()
            )
        )
        .filter(first_value_on__gte=start, first_value_on__lte=end)
        .annotate(time_to_value=F("first_value_on") - F("accepted_on"))
        .order_by()
    )


def time_to_value(as_of: date, scope: KpiScope) -> Decimal | None:
    return _median_days(_time_to_value_rows(as_of, scope), F("time_to_value"))[1]


def time_to_value_evidence(as_of: date, scope: KpiScope) -> Evidence:
    engagements = _time_to_value_rows(as_of, scope)
    count, median = _median_days(engagements, F("time_to_value"))
    first_title = (
        PainPoint.objects.filter(
            engagement=OuterRef("pk"),
            status=PainPoint.Status.RESOLVED,
            resolved_on=OuterRef("first_value_on"),
        )
        .order_by("id")
        .values("title")[:1]
    )
    rows, truncated = _limited(
        engagements.annotate(first_value_title=Subquery(first_title))
        .select_related("client", "origin_handoff")
        .order_by("time_to_value", "id")
    )
    return Evidence(
        columns=[
            "Engagement",
            "Handoff",
            "Accepted",
            "First pain point resolved",
            "Resolved",
            "Days",
        ],
        rows=[
            [
                _engagement_link(engagement),
                Link(
                    engagement.origin_handoff.deal_name,
                    engagement.origin_handoff.get_absolute_url(),
                ),
                engagement.accepted_on,
                engagement.first_value_title,
                engagement.first_value_on,
                engagement.time_to_value.days,
            ]
            for engagement in rows
        ],
        explanation=(
            f"The median, over the {count} engagements whose first pain point was resolved "
            f"{_window_text(scope, as_of)}, of the days from the handoff's acceptance to that "
            f"first resolution: {kpi_value_display(unit='days', value=median)}."
        ),
        truncated=truncated,
    )


# --- Scaling pain points projected to breach within 90 days -------------------------------


def _scaling_breaches(as_of: date, scope: KpiScope) -> list[tuple[PainPoint, CapacityProjection]]:
    """Scaling pain points unresolved on ``as_of`` that hit capacity within 90 days of it.

    One query; the projection is the shared pure function, run on each fetched row.
    """
    candidates = (
        PainPoint.objects.filter(
            _engagement_filter(scope),
            category=PainPoint.Category.SCALING,
            identified_on__lte=as_of,
        )
        .exclude(status=PainPoint.Status.RESOLVED, resolved_on__lte=as_of)
        .select_related("engagement__client")
        .order_by("identified_on", "id")
    )
    breaching = []
    for point in candidates:
        try:
            projection = capacity_projection(
                current=point.current_value,
                capacity=point.capacity,
                monthly_growth_pct=point.monthly_growth_pct,
                today=as_of,
            )
        except (TypeError, ValueError):
            continue  # numbers that describe no scaling problem (the model forbids them)
        if projection.state is ProjectionState.NOT_WITHIN_HORIZON:
            continue
        if projection.days_from(as_of) <= BREACH_HORIZON_DAYS:
            breaching.append((point, projection))
    return breaching


def scaling_breaches(as_of: date, scope: KpiScope) -> Decimal | None:
    return Decimal(len(_scaling_breaches(as_of, scope)))


def scaling_breaches_evidence(as_of: date, scope: KpiScope) -> Evidence:
    breaching = _scaling_breaches(as_of, scope)
    shown = breaching[:EVIDENCE_ROW_LIMIT]
    return Evidence(
        columns=[
            "Pain point",
            "Engagement",
            "Metric",
            "Current",
            "Capacity",
            "Growth per month",
            "Projection",
            "Status",
        ],
        rows=[
            [
                Link(point.title, point.get_absolute_url()),
                _engagement_link(point.engagement),
                point.metric_name,
                f"{_plain(point.current_value)} {point.metric_unit}".strip(),
                f"{_plain(point.capacity)} {point.metric_unit}".strip(),
                f"{_plain(point.monthly_growth_pct)}%",
                projection.text,
                point.get_status_display(),
            ]
            for point, projection in shown
        ],
        explanation=(
            f"{len(breaching)} scaling pain points not resolved on {as_of} are projected to "
            f"reach capacity within {BREACH_HORIZON_DAYS} days of it (deferred ones included: "
            f"deferring a fix does not stop the growth). The projection compounds the monthly "
            f"growth from the numbers last recorded on the pain point."
        ),
        truncated=len(breaching) > EVIDENCE_ROW_LIMIT,
    )


# --- Check-in participation and team energy -----------------------------------------------


def last_closed_week(as_of: date) -> IsoWeek:
    """The latest ISO week over everywhere on Earth on ``as_of``.

    The week before the one ``as_of`` falls in, judged by the last time zone (UTC-12)
    when ``as_of`` is today: a week still open somewhere changes with every check-in
    filed in it, and two reads a check-in apart would give that check-in away. The
    same rule as the pulse and the check-in summary (``health.weeks``).
    """
    return weeks_last_closed_week(as_of)


def _checkin_population(week: IsoWeek) -> QuerySet[User]:
    """Active leaders, consultants and sales reps who had joined by the end of the week."""
    filed = CheckIn.objects.filter(user=OuterRef("pk"), iso_year=week.year, iso_week=week.week)
    return (
        User.objects.filter(
            is_active=True, role__in=CHECKIN_ROLES, date_joined__date__lte=week.sunday
        )
        .annotate(filed=Exists(filed))
        .order_by()
    )


def checkin_participation(as_of: date, scope: KpiScope) -> Decimal | None:
    counts = _checkin_population(last_closed_week(as_of)).aggregate(
        people=Count("id"), filed_count=Count("id", filter=Q(filed=True))
    )
    return _percent(counts["filed_count"], counts["people"])


def _participation_row(label: str, people: int, filed: int) -> list:
    return [label, people, filed, kpi_value_display(unit="%", value=_percent(filed, people))]


def checkin_participation_evidence(as_of: date, scope: KpiScope) -> Evidence:
    """Participation per team, teams below the anonymity minimum folded together.

    Whether someone filed is theirs and their manager's to know: a team of one would
    say it outright. So teams of fewer people than the minimum (and people without a
    team) are shown together as "Other teams", by the pulse's folding rule
    (``pulse_groups_fold``), which also folds a team back in when the rest would be a
    small group given away by subtraction; with no team left, only the total is shown.
    """
    week = last_closed_week(as_of)
    minimum = pulse_minimum()
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
            f"{filed} of the {people} active leaders, consultants and sales reps filed a "
            f"check-in for {week} ({week.monday} to {week.sunday}), the last week that was over "
            f"everywhere on {as_of}: {kpi_value_display(unit='%', value=_percent(filed, people))}."
            f" Check-ins are private to their author and manager, so the rows count people, "
            f"never name them. {per_team}"
        ),
    )


def _energy_of_week(week: IsoWeek) -> tuple[int, int, Decimal | None]:
    """(check-ins, anonymity minimum, average) for the week; no average below the minimum.

    Every check-in filed for the week counts, its author active or not: a population
    that changed when someone is deactivated would give their score away by subtraction.
    """
    minimum = pulse_minimum()
    result = CheckIn.objects.filter(iso_year=week.year, iso_week=week.week).aggregate(
        n=Count("id"), average=Avg("energy")
    )
    if result["n"] < minimum or result["average"] is None:
        return result["n"], minimum, None
    return result["n"], minimum, _rounded(Decimal(str(result["average"])), UNIT_PLACES["of 5"])


def team_energy(as_of: date, scope: KpiScope) -> Decimal | None:
    return _energy_of_week(last_closed_week(as_of))[2]


def team_energy_evidence(as_of: date, scope: KpiScope) -> Evidence:
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
                f"{count} check-ins were filed for {period}. The average is shown only from "
                f"{minimum} check-ins (the organization's anonymity minimum), so that no one's "
                f"own score can be read off it."
            ),
        )
    return Evidence(
        columns=["Check-ins", "Average energy"],
        rows=[[count, kpi_value_display(unit="of 5", value=average)]],
        explanation=(
            f"The average energy (1 drained … 5 full of energy) of the {count} check-ins filed "
            f"for {period}: {kpi_value_display(unit='of 5', value=average)}. Only the average "
            f"is shown, over the whole organization: no count per score and no average per "
            f"team, so that no one's own score can be read off the difference of two reads."
        ),
    )


# --- The registry -------------------------------------------------------------------------

ENGAGEMENT_SCOPE = ("lead", "kind")
HANDOFF_SCOPE = ("kind",)

KPIS: list[Kpi] = [
    Kpi(
        key="pain_points_resolved_90d",
        name="Pain points resolved within 90 days",
        description=(
            "How many of the client problems PS found were fixed within a quarter: a PS team "
            "that identifies pain points but lets them linger is the one blamed when they "
            "come to a head."
        ),
        definition=(
            "Of the pain points whose 90th day since identification falls in the window, the "
            "share resolved by that day. Deferred and still-open ones count as not resolved."
        ),
        unit="%",
        higher_is_better=True,
        compute=resolved_within_90_days,
        evidence=resolved_within_90_days_evidence,
        scoped_by=ENGAGEMENT_SCOPE,
    ),
    Kpi(
        key="median_days_to_resolve",
        name="Median days to resolve a pain point",
        description=(
            "How long a client lives with a problem after PS has seen it: the speed at which "
            "PS turns what it notices into a fix."
        ),
        definition=(
            "The median, over pain points resolved in the window, of the days from "
            "identification to resolution."
        ),
        unit="days",
        higher_is_better=False,
        compute=median_days_to_resolve,
        evidence=median_days_to_resolve_evidence,
        scoped_by=ENGAGEMENT_SCOPE,
    ),
    Kpi(
        key="recommendation_adoption",
        name="Recommendation adoption",
        description=(
            "How often clients act on what PS advises: the plainest test of whether PS is "
            "heard as a trusted advisor rather than a delivery crew."
        ),
        definition=(
            "Of the recommendations the client decided on in the window (accepted, done, "
            "deferred or declined), the share accepted or done."
        ),
        unit="%",
        higher_is_better=True,
        compute=recommendation_adoption,
        evidence=recommendation_adoption_evidence,
        scoped_by=ENGAGEMENT_SCOPE,
    ),
    Kpi(
        key="followups_on_time",
        name="Follow-ups done on time",
        description=(
            "Whether PS does what it told clients it would, when it said it would: "
            "follow-through is what clients remember."
        ),
        definition=(
            "Of the follow-ups due in the window (cancelled ones left out), the share marked "
            "done on or before their due date."
        ),
        unit="%",
        higher_is_better=True,
        compute=followups_on_time,
        evidence=followups_on_time_evidence,
        scoped_by=ENGAGEMENT_SCOPE,
    ),
    Kpi(
        key="handoff_first_pass",
        name="Handoff first-pass acceptance",
        description=(
            "How often sales hands services a deal it can take on as sold: each packet "
            "sent back is a surprise caught before the client felt it."
        ),
        definition=(
            "Of the handoff packets whose first review round was in the window, the share "
            "accepted in that first round (as in the sales-enablement report)."
        ),
        unit="%",
        higher_is_better=True,
        compute=handoff_first_pass,
        evidence=handoff_first_pass_evidence,
        scoped_by=HANDOFF_SCOPE,
    ),
    Kpi(
        key="surprises_per_handoff",
        name="Surprises per handoff",
        description=(
            "How many promises services had never seen arrive with each deal: the measure "
            "of the sales-to-services disconnect that PS otherwise absorbs silently."
        ),
        definition=(
            "Surprises (items judged needs custom work, not possible or unclear, each counted "
            "once at its first such verdict) in review rounds in the window, divided by the "
            "packets reviewed in the window (as in the sales-enablement report)."
        ),
        unit="per handoff",
        higher_is_better=False,
        compute=surprises_per_handoff,
        evidence=surprises_per_handoff_evidence,
        scoped_by=HANDOFF_SCOPE,
    ),
    Kpi(
        key="median_review_turnaround",
        name="Median review turnaround",
        description=(
            "How quickly services answers a submitted handoff: a slow review delays the "
            "client's start and sours the handoff for sales."
        ),
        definition=(
            "The median, over review rounds recorded in the window, of the time from the "
            "packet's submission to its review, in calendar days (as in the sales-enablement "
            "report)."
        ),
        unit="days",
        higher_is_better=False,
        compute=median_review_turnaround,
        evidence=median_review_turnaround_evidence,
        scoped_by=HANDOFF_SCOPE,
    ),
    Kpi(
        key="time_to_value",
        name="Time to value",
        description=(
            "How long a new client waits for the first problem of theirs that PS fixes: the "
            "moment an engagement starts paying off for the client, not for the contract."
        ),
        definition=(
            "The median, over engagements from an accepted handoff whose first pain point "
            "resolved since acceptance was resolved in the window, of the days from the "
            "handoff's acceptance to that resolution."
        ),
        unit="days",
        higher_is_better=False,
        compute=time_to_value,
        evidence=time_to_value_evidence,
        scoped_by=ENGAGEMENT_SCOPE,
    ),
    Kpi(
        key="scaling_breaches_90d",
        name="Scaling walls within 90 days",
        description=(
            "How many clients are heading into a scaling wall PS has already measured: "
            "each is a fix to push now, before it comes to a head and PS takes the blame."
        ),
        definition=(
            "Scaling pain points not resolved on the day (deferred ones included) whose "
            "metric, growing at its monthly rate, reaches capacity within 90 days of it or "
            "is already over. A count on the day: the window does not apply."
        ),
        unit="count",
        higher_is_better=False,
        compute=scaling_breaches,
        evidence=scaling_breaches_evidence,
        scoped_by=ENGAGEMENT_SCOPE,
        uses_window=False,
    ),
    Kpi(
        key="checkin_participation",
        name="Check-in participation",
        description=(
            "How many of the team filed last week's check-in: on a remote, spread-out team "
            "the check-in is how strain and blockers surface before someone burns out."
        ),
        definition=(
            "Of the active leaders, consultants and sales reps, the share who filed a "
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
            "The average energy (1 to 5) of all the check-ins filed for the last ISO week "
            "that is over everywhere on Earth, shown only from the organization's anonymity "
            "minimum of check-ins. Team-wide: filters do not apply."
        ),
        unit="of 5",
        higher_is_better=True,
        compute=team_energy,
        evidence=team_energy_evidence,
        uses_window=False,
    ),
]

_BY_KEY = {kpi.key: kpi for kpi in KPIS}
if len(_BY_KEY) != len(KPIS):
    raise ImproperlyConfigured("Two KPIs share a key.")


def kpi_get(key: str) -> Kpi:
    """The KPI with this key; ``KeyError`` for an unknown one."""
    return _BY_KEY[key]


def kpi_compute_all(*, as_of: date, scope: KpiScope) -> dict[str, Decimal | None]:
    return {kpi.key: kpi.compute(as_of, scope) for kpi in KPIS}


# --- Status against target ----------------------------------------------------------------

STATUS_LABELS = {
    "on": "On target",
    "near": "Near target",
    "off": "Off target",
    "none": "No target",
}


def kpi_status(*, value: Decimal | None, target: Decimal | None, higher_is_better: bool) -> str:
    """ "on", "near", "off", or "none" when there is no value or no target.

    On: the value meets the target (at or above it when higher is better, at or below it
    when lower is better). Near: it misses, but by no more than 10% of the target
    (``NEAR_TOLERANCE``), on the wrong side: with a target of 80%, 72% to 79.9% is near.
    Off: it misses by more. A target of 0 has no near band: anything worse is off.
    """
    if value is None or target is None:
        return "none"
    tolerance = abs(target) * NEAR_TOLERANCE
    if higher_is_better:
        if value >= target:
            return "on"
        return "near" if value >= target - tolerance else "off"
    if value <= target:
        return "on"
    return "near" if value <= target + tolerance else "off"


def kpi_targets_get() -> dict[str, Decimal]:
    """Every target this tenant has set, by KPI key: one query."""
    return dict(
        KpiTarget.objects.filter(key__in=list(_BY_KEY)).values_list("key", "target").order_by()
    )


@transaction.atomic
def kpi_targets_save(*, targets: dict[str, Decimal | None], by: User) -> list[str]:
    """Set each KPI's target (None removes it); returns the keys that changed.

    A target that did not change keeps its ``updated_by`` and ``updated_at``.
    """
    unknown = set(targets) - set(_BY_KEY)
    if unknown:
        raise ValueError(f"unknown KPI keys: {sorted(unknown)}")
    current = kpi_targets_get()
    changed = [key for key, value in targets.items() if current.get(key) != value]
    removed = [key for key in changed if targets[key] is None]
    if removed:
        KpiTarget.objects.filter(key__in=removed).delete()
    upserts = [
        KpiTarget(key=key, target=targets[key], updated_by=by)
        for key in changed
        if targets[key] is not None
    ]
    if upserts:
        KpiTarget.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["target", "updated_by", "updated_at"],
        )
    return changed


# --- Tiles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SparklinePoint:
    day: date  # the last day of the week the point stands for
    value: Decimal | None


@dataclass(frozen=True)
class KpiTile:
    kpi: Kpi
    value: Decimal | None
    display: str
    target: Decimal | None
    status: str  # "on" | "near" | "off" | "none"
    sparkline: list[SparklinePoint] = field(default_factory=list)
    sparkline_svg: SafeString = field(default_factory=lambda: SafeString(""))
    evidence_url: str = ""
    # True when the tile is narrowed (lead, kind, period) but its trend is the snapshots':
    # the whole organization over the default window.
    trend_is_organization_wide: bool = False

    @property
    def value_parts(self) -> tuple[str, str]:
        return kpi_value_parts(unit=self.kpi.unit, value=self.value)

    @property
    def target_display(self) -> str:
        return kpi_value_display(unit=self.kpi.unit, value=self.target)

    @property
    def status_label(self) -> str:
        if self.status == "none" and self.target is not None:
            return "No data"
        return STATUS_LABELS[self.status]


def kpi_evidence_url(*, kpi: Kpi, as_of: date, scope: KpiScope, today: date) -> str:
    """The evidence page of ``kpi`` for the same day and scope as the tile."""
    query = {}
    if scope.lead_id:
        query["lead"] = scope.lead_id
    if scope.kind:
        query["kind"] = scope.kind
    if scope.period_days != DEFAULT_PERIOD_DAYS:
        query["period"] = scope.period_days
    if as_of != today:
        query["as_of"] = as_of.isoformat()
    url = reverse("kpis:kpi_evidence", args=[kpi.key])
    return f"{url}?{urlencode(query)}" if query else url


def _weekly_points(*, keys: Iterable[str], as_of: date) -> dict[str, list[SparklinePoint]]:
    """For each key, 12 weekly points ending on ``as_of``: the latest snapshot in each
    seven-day stretch, None where none was stored. One query for all keys."""
    ends = [
        as_of - timedelta(weeks=SPARKLINE_WEEKS - 1 - index) for index in range(SPARKLINE_WEEKS)
    ]
    first_day = ends[0] - timedelta(days=6)
    latest: dict[tuple[str, int], tuple[date, Decimal | None]] = {}
    snapshots = (
        KpiSnapshot.objects.filter(key__in=list(keys), day__gte=first_day, day__lte=as_of)
        .order_by("day")
        .values_list("key", "day", "value")
    )
    for key, day, value in snapshots:
        week_index = SPARKLINE_WEEKS - 1 - (as_of - day).days // 7
        latest[(key, week_index)] = (day, value)  # ordered by day: the last one wins
    return {
        key: [
            SparklinePoint(day=end, value=latest.get((key, index), (None, None))[1])
            for index, end in enumerate(ends)
        ]
        for key in keys
    }


SPARK_WIDTH = 120
SPARK_HEIGHT = 32
SPARK_PAD = 3


def sparkline_svg(
    *, kpi: Kpi, points: list[SparklinePoint], organization_wide: bool = False
) -> SafeString:
    """A small inline SVG line of the weekly points, with a text alternative.

    ``role="img"`` and an ``aria-label`` saying where the trend went and whether that is
    better or worse; weeks without a value break the line. Every text goes through
    ``format_html``.
    """
    present = [
        (index, point.value) for index, point in enumerate(points) if point.value is not None
    ]
    whose = "whole organization, " if organization_wide else ""
    if not present:
        label = f"{kpi.name}: no weekly values recorded in the last {len(points)} weeks yet."
        return format_html(
            '<svg class="sparkline sparkline-empty" viewBox="0 0 {} {}" width="{}" height="{}" '
            'role="img" aria-label="{}"><title>{}</title>'
            '<line x1="{}" y1="{}" x2="{}" y2="{}"></line></svg>',
            SPARK_WIDTH,
            SPARK_HEIGHT,
            SPARK_WIDTH,
            SPARK_HEIGHT,
            label,
            label,
            SPARK_PAD,
            SPARK_HEIGHT / 2,
            SPARK_WIDTH - SPARK_PAD,
            SPARK_HEIGHT / 2,
        )
    values = [value for _, value in present]
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(points) - 1, 1)

    def xy(index: int, value: Decimal) -> tuple[float, float]:
        x = SPARK_PAD + index * step
        if high == low:
            y = SPARK_HEIGHT / 2
        else:
            y = SPARK_PAD + float((high - value) / span) * (SPARK_HEIGHT - 2 * SPARK_PAD)
        return round(x, 1), round(y, 1)

    segments: list[list[tuple[float, float]]] = []
    previous = None
    for index, value in present:
        if previous is None or index != previous + 1:
            segments.append([])
        segments[-1].append(xy(index, value))
        previous = index
    lines = format_html_join(
        "",
        '<polyline points="{}"></polyline>',
        ((" ".join(f"{x},{y}" for x, y in segment),) for segment in segments),
    )
    last_x, last_y = xy(*present[-1])
    first_value, last_value = present[0][1], present[-1][1]
    if len(present) == 1:
        trend = f"one weekly value so far, {kpi.display(last_value)}"
    else:
        if last_value == first_value:
            direction = "unchanged"
        else:
            rising = last_value > first_value
            better = rising == kpi.higher_is_better
            direction = f"{'up' if rising else 'down'}, {'better' if better else 'worse'}"
        trend = (
            f"from {kpi.display(first_value)} to {kpi.display(last_value)} ({direction}); "
            f"lowest {kpi.display(low)}, highest {kpi.display(high)}"
        )
    label = f"{kpi.name}, {whose}last {len(points)} weeks: {trend}."
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-label="{}"><title>{}</title>{}<circle cx="{}" cy="{}" r="2.5"></circle></svg>',
        SPARK_WIDTH,
        SPARK_HEIGHT,
        SPARK_WIDTH,
        SPARK_HEIGHT,
        label,
        label,
        lines,
        last_x,
        last_y,
    )


def kpi_tiles(*, as_of: date, scope: KpiScope, today: date | None = None) -> list[KpiTile]:
    """Every KPI's tile for ``as_of`` in ``scope``: value, target, status and 12-week trend.

    Targets come in one query and the trends in one (from ``KpiSnapshot``); each KPI
    then computes its value in its own fixed number of queries.

    Snapshots are stored for the whole organization over the default window only, so
    when ``scope`` narrows a KPI (a team KPI ignores lead and kind) its trend is still
    the organization's, and the tile says so (``trend_is_organization_wide``).
    ``today`` (by default the current date) is the day the data is read on: for
    ``as_of`` on or after it, an un-narrowed trend ends with the live value (fresher
    than the snapshot the night's task stored); a past ``as_of`` shows what the
    snapshots recorded.
    """
    today = today or timezone.localdate()
    targets = kpi_targets_get()
    weekly = _weekly_points(keys=[kpi.key for kpi in KPIS], as_of=as_of)
    tiles = []
    for kpi in KPIS:
        value = kpi.compute(as_of, scope)
        target = targets.get(kpi.key)
        points = weekly[kpi.key]
        narrowed = not kpi.effective_scope(scope).is_default
        if not narrowed and as_of >= today:
            points[-1] = SparklinePoint(day=as_of, value=value)
        tiles.append(
            KpiTile(
                kpi=kpi,
                value=value,
                display=kpi.display(value),
                target=target,
                status=kpi_status(
                    value=value, target=target, higher_is_better=kpi.higher_is_better
                ),
                sparkline=points,
                sparkline_svg=sparkline_svg(kpi=kpi, points=points, organization_wide=narrowed),
                evidence_url=kpi_evidence_url(kpi=kpi, as_of=as_of, scope=scope, today=today),
                trend_is_organization_wide=narrowed,
            )
        )
    return tiles
