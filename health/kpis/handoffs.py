"""Handoffs: first-pass acceptance, surprises and review turnaround.

The definitions are the sales-enablement report's (``handoffs.reports``), so the
dashboard and the report never disagree.
"""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from handoffs.models import HandoffPacket, HandoffReview
from handoffs.reports import first_surprises_in, non_negative_duration, review_rounds_in
from health.kpis.base import (
    HANDOFF_SCOPE,
    UNIT_PLACES,
    Evidence,
    Kpi,
    KpiScope,
    Link,
    days_of,
    kpi_value_display,
    limited,
    median_days,
    packet_filter,
    percent_of,
    window_text,
    yes_no,
)
from psops.ui.numbers import counted, rounded_half_up


def _first_rounds(as_of: date, scope: KpiScope) -> QuerySet[HandoffReview]:
    """First review rounds (no lower round of the packet) recorded in the window."""
    earlier_round = HandoffReview.objects.filter(
        packet=OuterRef("packet"), round__lt=OuterRef("round")
    )
    return (
        review_rounds_in(period=scope.period(as_of))
        .filter(packet_filter(scope, "packet__"))
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
    return percent_of(counts["accepted"], counts["first_reviews"])


def handoff_first_pass_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    rounds = _first_rounds(as_of, scope)
    counts = _first_pass_counts(rounds)
    value = percent_of(counts["accepted"], counts["first_reviews"])
    rows, has_next = limited(
        rounds.select_related("packet__filed_by", "reviewer").order_by("created_at", "id"),
        page,
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
                yes_no(review.decision == HandoffReview.Decision.ACCEPT),
            ]
            for review in rows
        ],
        explanation=(
            f"{counts['accepted']} of the {counts['first_reviews']} handoff packets whose first "
            f"review round was {window_text(scope, as_of)} were accepted in that first round: "
            f"{kpi_value_display(unit='%', value=value)}."
        ),
        page=page,
        has_next=has_next,
    )


def _surprise_counts(as_of: date, scope: KpiScope) -> tuple[int, int]:
    period = scope.period(as_of)
    surprises = first_surprises_in(period=period).filter(packet_filter(scope, "review__packet__"))
    packets = (
        review_rounds_in(period=period)
        .filter(packet_filter(scope, "packet__"))
        .values("packet")
        .distinct()
    )
    return surprises.count(), packets.count()


def _per_handoff(surprises: int, packets: int) -> Decimal | None:
    if not packets:
        return None
    return rounded_half_up(Decimal(surprises) / packets, UNIT_PLACES["per handoff"])


def surprises_per_handoff(as_of: date, scope: KpiScope) -> Decimal | None:
    return _per_handoff(*_surprise_counts(as_of, scope))


def surprises_per_handoff_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
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
        HandoffPacket.objects.filter(rounds_in_window, packet_filter(scope, ""))
        .annotate(
            rounds=Count("reviews", filter=rounds_in_window, distinct=True),
            surprise_count=Coalesce(Subquery(surprises_of_packet), 0),
        )
        .select_related("filed_by")
        .order_by("-surprise_count", "deal_name", "id")
    )
    rows, has_next = limited(packets, page)
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
            f"{counted(surprises, 'surprise')} (items judged “needs custom work”, "
            f"“not possible” or “unclear”, each item counted once at its first such verdict) "
            f"in review rounds "
            f"{window_text(scope, as_of)}, over the {counted(packet_count, 'packet')} "
            f"reviewed then: "
            f"{kpi_value_display(unit='per handoff', value=value)}."
        ),
        page=page,
        has_next=has_next,
    )


def _review_rounds(as_of: date, scope: KpiScope) -> QuerySet[HandoffReview]:
    return (
        review_rounds_in(period=scope.period(as_of))
        .filter(packet_filter(scope, "packet__"))
        .annotate(turnaround=non_negative_duration(F("created_at") - F("submitted_at")))
        .order_by()
    )


def median_review_turnaround(as_of: date, scope: KpiScope) -> Decimal | None:
    return median_days(_review_rounds(as_of, scope), F("turnaround"))[1]


def median_review_turnaround_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    rounds = _review_rounds(as_of, scope)
    count, median = median_days(rounds, F("turnaround"))
    rows, has_next = limited(rounds.select_related("packet").order_by("turnaround", "id"), page)
    return Evidence(
        columns=["Handoff", "Round", "Submitted", "Reviewed", "Turnaround (days)", "Decision"],
        rows=[
            [
                Link(review.packet.deal_name, review.packet.get_absolute_url()),
                review.round,
                timezone.localtime(review.submitted_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(review.created_at).strftime("%Y-%m-%d %H:%M"),
                days_of(review.turnaround),
                review.get_decision_display(),
            ]
            for review in rows
        ],
        explanation=(
            f"The median, over the {count} review rounds recorded {window_text(scope, as_of)}, "
            f"of the time from the packet's submission to its review, in calendar days: "
            f"{kpi_value_display(unit='days', value=median)}."
        ),
        page=page,
        has_next=has_next,
    )


KPIS: list[Kpi] = [
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
]
