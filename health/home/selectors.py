"""Reads for the three home pages (leader, consultant, sales). Each is a fixed number
of set-based queries, whatever the amount of data."""

from datetime import date, timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from engagements.models import Activity, Engagement, FollowUp
from handoffs.models import HandoffPacket
from health.kpis.base import KpiScope, engagement_filter
from psops.accounts.models import User

KIND_HEADINGS = {"implementation": "Implementation projects", "success": "Ongoing success work"}
PERIOD_CHOICES = [(30, "Last 30 days"), (90, "Last 90 days"), (180, "Last 180 days")]
DUE_SOON_DAYS = 14
LIST_LIMIT = 10


def engagements_by_kind_and_status(*, scope: KpiScope) -> list[dict]:
    """Open engagement counts per kind and status (kinds kept apart on purpose).

    The dashboard's filters are the KPI tiles' scope: one lead, one kind, one period.
    """
    counts = (
        Engagement.objects.filter(engagement_filter(scope, prefix=""))
        .values("kind", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_kind = {kind: dict.fromkeys(Engagement.Status.values, 0) for kind in Engagement.Kind.values}
    for row in counts:
        by_kind[row["kind"]][row["status"]] = row["n"]
    return [
        {
            "kind": kind,
            "label": KIND_HEADINGS[kind],
            "statuses": [
                (Engagement.Status(status).label, by_kind[kind][status])
                for status in Engagement.Status.values
            ],
            "total": sum(by_kind[kind].values()),
        }
        for kind in Engagement.Kind.values
        if not scope.kind or scope.kind == kind
    ]


def overdue_followups(*, scope: KpiScope, today: date) -> tuple[int, list[FollowUp]]:
    followups = FollowUp.objects.filter(
        engagement_filter(scope), status=FollowUp.Status.OPEN, due_on__lt=today
    )
    listed = list(
        followups.select_related("engagement__client", "owner").order_by("due_on", "id")[
            :LIST_LIMIT
        ]
    )
    return followups.count(), listed


def my_engagements(*, user: User) -> QuerySet[Engagement]:
    """The open engagements ``user`` leads or is on the team of, by client and name.

    The team as a subquery, not a join, so that none is listed twice and each side
    is read off its own index."""
    on_team = Engagement.team.through.objects.filter(user=user).values("engagement_id")
    return (
        Engagement.objects.filter(Q(lead=user) | Q(pk__in=on_team))
        .exclude(status=Engagement.Status.CLOSED)
        .select_related("client")
        .order_by("client__name", "name", "id")
    )


def with_open_followups(engagements: QuerySet[Engagement]) -> QuerySet[Engagement]:
    """``open_followups`` on each engagement, counted for the rows fetched only."""
    open_followups = (
        FollowUp.objects.filter(engagement=OuterRef("pk"), status=FollowUp.Status.OPEN)
        .order_by()
        .values("engagement")
        .annotate(n=Count("id"))
        .values("n")
    )
    return engagements.annotate(
        open_followups=Coalesce(Subquery(open_followups), 0, output_field=IntegerField())
    )


def quick_log_choices(*, user: User) -> list[Engagement]:
    """What the quick log offers: every open engagement of ``user``, names only."""
    return list(my_engagements(user=user).only("id", "name", "client__name"))


def last_touched_engagement(*, user: User) -> int | None:
    """Of ``user``'s open engagements, the one they last wrote something on (its
    timeline), if any: the quick log's default, instead of the alphabetically first."""
    return (
        Activity.objects.filter(actor=user, engagement__in=my_engagements(user=user).values("pk"))
        .order_by("-occurred_at", "-id")
        .values_list("engagement_id", flat=True)
        .first()
    )


def my_followups_due(*, user: User, today: date) -> list[FollowUp]:
    """My open follow-ups that are overdue or due within two weeks, earliest first."""
    return list(
        FollowUp.objects.filter(
            owner=user,
            status=FollowUp.Status.OPEN,
            due_on__lte=today + timedelta(days=DUE_SOON_DAYS),
        )
        .select_related("engagement__client", "stakeholder")
        .order_by("due_on", "id")[: LIST_LIMIT * 2]
    )


def my_handoffs(*, user: User) -> tuple[list[HandoffPacket], dict[str, int]]:
    packets = HandoffPacket.objects.filter(filed_by=user)
    counts = dict.fromkeys(HandoffPacket.Status.values, 0)
    for row in packets.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    recent = list(
        packets.select_related("client", "engagement").order_by("-updated_at", "-id")[:LIST_LIMIT]
    )
    return recent, counts
