"""Follow-ups: whether PS does what it told clients it would, when it said it would."""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)
from django.utils import timezone

from engagements.models import FollowUp
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


def _followups_due(as_of: date, scope: KpiScope) -> QuerySet[FollowUp]:
    start, end = scope.window(as_of)
    return (
        FollowUp.objects.filter(engagement_filter(scope), due_on__gte=start, due_on__lte=end)
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
    return percent_of(counts["on_time_count"], counts["due"])


def followups_on_time_evidence(as_of: date, scope: KpiScope, page: int = 1) -> Evidence:
    due = _followups_due(as_of, scope)
    counts = _on_time_counts(due)
    value = percent_of(counts["on_time_count"], counts["due"])
    rows, has_next = limited(
        due.select_related("engagement__client", "owner").order_by("due_on", "id"),
        page,
    )
    return Evidence(
        columns=["Follow-up", "Engagement", "Owner", "Due", "Completed", "On time"],
        rows=[
            [
                Link(followup.title, followup.engagement.get_absolute_url() + "#followups"),
                engagement_link(followup.engagement),
                followup.owner.display_name,
                followup.due_on,
                timezone.localdate(followup.completed_at) if followup.completed_at else "",
                yes_no(followup.on_time),
            ]
            for followup in rows
        ],
        explanation=(
            f"{counts['on_time_count']} of the {counts['due']} follow-ups due "
            f"{window_text(scope, as_of)} (cancelled ones left out) were done on or before "
            f"their due date: {kpi_value_display(unit='%', value=value)}."
        ),
        page=page,
        has_next=has_next,
    )


KPIS: list[Kpi] = [
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
]
