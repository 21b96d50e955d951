"""Recommendations: how often clients act on what PS advises."""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    Q,
    QuerySet,
)
from django.db.models.functions import Coalesce

from engagements.models import Recommendation
from health.kpis.base import (
    ENGAGEMENT_SCOPE,
    Evidence,
    Kpi,
    KpiScope,
    Link,
    engagement_filter,
    engagement_link,
    kpi_value_display,
    limited,
    percent_of,
    window_text,
    yes_no,
)

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
        Recommendation.objects.filter(engagement_filter(scope), status__in=DECIDED)
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
    return percent_of(counts["adopted"], counts["decided_count"])


def recommendation_adoption_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    decided = _decided_recommendations(as_of, scope)
    counts = _adoption_counts(decided)
    value = percent_of(counts["adopted"], counts["decided_count"])
    rows, has_next = limited(
        decided.select_related("engagement__client").order_by("decided", "id"),
        page,
    )
    return Evidence(
        columns=["Recommendation", "Engagement", "Decided", "Decision", "Decided by", "Adopted"],
        rows=[
            [
                Link(rec.title, rec.engagement.get_absolute_url() + "#recommendations"),
                engagement_link(rec.engagement),
                rec.decided,
                rec.get_status_display(),
                rec.decided_by,
                yes_no(rec.status in ADOPTED),
            ]
            for rec in rows
        ],
        explanation=(
            f"{counts['adopted']} of the {counts['decided_count']} recommendations the client "
            f"decided on {window_text(scope, as_of)} were accepted or done: "
            f"{kpi_value_display(unit='%', value=value)}."
        ),
        page=page,
        has_next=has_next,
    )


KPIS: list[Kpi] = [
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
]
