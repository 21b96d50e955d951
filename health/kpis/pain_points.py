"""Pain points: how many PS found were fixed within a quarter, and how fast."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)

from engagements.models import PainPoint
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
    median_days,
    percent_of,
    window_text,
    yes_no,
)

RESOLUTION_DAYS = 90  # "resolved within 90 days"


def _resolution_cohort(as_of: date, scope: KpiScope) -> QuerySet[PainPoint]:
    """Pain points whose 90th day falls in the window: each has had its full 90 days."""
    start, end = scope.window(as_of)
    allowed = timedelta(days=RESOLUTION_DAYS)
    return (
        PainPoint.objects.filter(
            engagement_filter(scope),
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
    return percent_of(counts["resolved"], counts["due"])


def resolved_within_90_days_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    cohort = _resolution_cohort(as_of, scope)
    counts = cohort.aggregate(
        due=Count("id"), resolved=Count("id", filter=Q(resolved_in_time=True))
    )
    rows, has_next = limited(
        cohort.select_related("engagement__client").order_by("identified_on", "id"),
        page,
    )
    value = percent_of(counts["resolved"], counts["due"])
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
                engagement_link(point.engagement),
                point.identified_on,
                point.identified_on + timedelta(days=RESOLUTION_DAYS),
                point.get_status_display(),
                point.resolved_on or "",
                yes_no(point.resolved_in_time),
            ]
            for point in rows
        ],
        explanation=(
            f"{counts['resolved']} of the {counts['due']} pain points that reached 90 days "
            f"between {window_text(scope, as_of)} were resolved within 90 days of being "
            f"identified: {kpi_value_display(unit='%', value=value)}."
        ),
        page=page,
        has_next=has_next,
    )


def _resolved_in_window(as_of: date, scope: KpiScope) -> QuerySet[PainPoint]:
    start, end = scope.window(as_of)
    return (
        PainPoint.objects.filter(
            engagement_filter(scope),
            status=PainPoint.Status.RESOLVED,
            resolved_on__gte=start,
            resolved_on__lte=end,
        )
        .annotate(time_to_resolve=F("resolved_on") - F("identified_on"))
        .order_by()
    )


def median_days_to_resolve(as_of: date, scope: KpiScope) -> Decimal | None:
    return median_days(_resolved_in_window(as_of, scope), F("time_to_resolve"))[1]


def median_days_to_resolve_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    resolved = _resolved_in_window(as_of, scope)
    count, median = median_days(resolved, F("time_to_resolve"))
    rows, has_next = limited(
        resolved.select_related("engagement__client").order_by("time_to_resolve", "id"),
        page,
    )
    return Evidence(
        columns=["Pain point", "Engagement", "Identified", "Resolved", "Days to resolve"],
        rows=[
            [
                Link(point.title, point.get_absolute_url()),
                engagement_link(point.engagement),
                point.identified_on,
                point.resolved_on,
                point.time_to_resolve.days,
            ]
            for point in rows
        ],
        explanation=(
            f"The median of the days from identification to resolution over the {count} "
            f"pain points resolved {window_text(scope, as_of)}: "
            f"{kpi_value_display(unit='days', value=median)}."
        ),
        page=page,
        has_next=has_next,
    )


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
]
