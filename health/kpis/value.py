"""Time to value: how long a new client waits for the first problem of theirs that PS fixes."""

from datetime import date
from decimal import Decimal

from django.db.models import (
    DateField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncDate

from engagements.models import Engagement, PainPoint
from handoffs.models import HandoffPacket
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
    window_text,
)
from psops.ui.numbers import counted


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
            engagement_filter(scope, prefix=""),
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
    return median_days(_time_to_value_rows(as_of, scope), F("time_to_value"))[1]


def time_to_value_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    engagements = _time_to_value_rows(as_of, scope)
    count, median = median_days(engagements, F("time_to_value"))
    first_title = (
        PainPoint.objects.filter(
            engagement=OuterRef("pk"),
            status=PainPoint.Status.RESOLVED,
            resolved_on=OuterRef("first_value_on"),
        )
        .order_by("id")
        .values("title")[:1]
    )
    rows, has_next = limited(
        engagements.annotate(first_value_title=Subquery(first_title))
        .select_related("client", "origin_handoff")
        .order_by("time_to_value", "id"),
        page,
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
                engagement_link(engagement),
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
            f"The median, over the {counted(count, 'engagement')} whose first pain point "
            f"was resolved "
            f"{window_text(scope, as_of)}, of the days from the handoff's acceptance to that "
            f"first resolution: {kpi_value_display(unit='days', value=median)}."
        ),
        page=page,
        has_next=has_next,
    )


KPIS: list[Kpi] = [
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
]
