"""Scaling walls: clients heading into a limit PS has already measured."""

from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from engagements.models import PainPoint
from engagements.projections import capacity_projection
from health.kpis.base import (
    ENGAGEMENT_SCOPE,
    Evidence,
    Kpi,
    KpiScope,
    Link,
    engagement_filter,
    engagement_link,
    limited,
)
from psops.accounts.models import OrganizationSettings
from psops.ui.numbers import grouped_decimal, plain_decimal


def _horizon_days() -> int:
    """The organization's scaling horizon (Settings), as the risk scan uses it."""
    return OrganizationSettings.current().scaling_horizon_days


def _scaling_breaches(as_of: date, scope: KpiScope) -> QuerySet[PainPoint]:
    """Scaling pain points unresolved on ``as_of`` that hit capacity within the
    organization's scaling horizon of it (already over included), oldest first.

    The projection's days until capacity do not depend on the day (the numbers last
    recorded are projected from it), so the database keeps them on each row
    (``PainPoint.days_to_capacity``) and this is a range on a partial index.
    """
    return (
        PainPoint.objects.filter(
            engagement_filter(scope),
            category=PainPoint.Category.SCALING,
            identified_on__lte=as_of,
            days_to_capacity__lte=_horizon_days(),
        )
        .exclude(status=PainPoint.Status.RESOLVED, resolved_on__lte=as_of)
        .order_by("identified_on", "id")
    )


def scaling_breaches(as_of: date, scope: KpiScope) -> Decimal | None:
    return Decimal(_scaling_breaches(as_of, scope).count())


def scaling_breaches_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    breaching = _scaling_breaches(as_of, scope)
    count = breaching.count()
    points, has_next = limited(breaching.select_related("engagement__client"), page)
    shown = [
        (
            point,
            capacity_projection(
                current=point.current_value,
                capacity=point.capacity,
                monthly_growth_pct=point.monthly_growth_pct,
                today=as_of,
            ),
        )
        for point in points
    ]
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
                engagement_link(point.engagement),
                point.metric_name,
                f"{grouped_decimal(point.current_value)} {point.metric_unit}".strip(),
                f"{grouped_decimal(point.capacity)} {point.metric_unit}".strip(),
                f"{plain_decimal(point.monthly_growth_pct)}%",
                projection.text,
                point.get_status_display(),
            ]
            for point, projection in shown
        ],
        explanation=(
            f"{count} scaling pain points not resolved on {as_of} are projected to "
            f"reach capacity within {_horizon_days()} days of it, the organization's scaling "
            f"horizon (deferred ones included: "
            f"deferring a fix does not stop the growth). The projection compounds the monthly "
            f"growth from the numbers last recorded on the pain point."
        ),
        page=page,
        has_next=has_next,
    )


KPIS: list[Kpi] = [
    Kpi(
        key="scaling_breaches_90d",
        name="Scaling walls within {horizon} days",
        description=(
            "How many clients are heading into a scaling wall PS has already measured: "
            "each is a fix to push now, before it comes to a head and PS takes the blame."
        ),
        definition=(
            "Scaling pain points not resolved on the day (deferred ones included) whose "
            "metric, growing at its monthly rate, reaches capacity within the organization's "
            "scaling horizon (Settings) of it or is already over. A count on the day: the "
            "window does not apply."
        ),
        unit="count",
        higher_is_better=False,
        compute=scaling_breaches,
        evidence=scaling_breaches_evidence,
        scoped_by=ENGAGEMENT_SCOPE,
        uses_window=False,
    ),
]
