"""Reads on handoff packets, narrowed to what each role may see."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from engagements.models import Engagement
from handoffs.models import (
    SURPRISE_VERDICTS,
    HandoffItem,
    HandoffPacket,
    HandoffVerdict,
    Verdict,
)
from psops.accounts.models import OrganizationSettings, Role, User
from psops.accounts.permissions import user_has_role


def _counted(queryset: QuerySet, packet: str, expression: Count) -> Coalesce:
    """``expression`` over ``queryset`` (narrowed to the outer packet through the field
    ``packet``) as a correlated subquery: computed for the rows a page shows after the
    database has sorted and cut them, not joined over every packet's items and
    verdicts before the cut."""
    grouped = queryset.filter(**{packet: OuterRef("pk")}).order_by().values(packet)
    return Coalesce(
        Subquery(grouped.annotate(n=expression).values("n")), 0, output_field=IntegerField()
    )


def surprise_count() -> Coalesce:
    """A packet's surprises: its items judged anything but in scope, in any round.

    The packet list and the CRM API show this same count.
    """
    return _counted(
        HandoffVerdict.objects.exclude(verdict=Verdict.IN_SCOPE),
        "review__packet",
        Count("item", distinct=True),
    )


def item_count() -> Coalesce:
    """How many items a packet lists."""
    return _counted(HandoffItem.objects.all(), "packet", Count("id"))


# Who reads handoff packets at all. Admins run the organization's settings, not its
# deals: they see the review queue's size and the enablement report's aggregates,
# never a packet, its SOW or its comments.
PACKET_READERS = (Role.SALES, Role.CONSULTANT, Role.LEADER)


def user_reads_packets(user: User) -> bool:
    return user_has_role(user, *PACKET_READERS)


def packets_visible_to(user: User) -> QuerySet[HandoffPacket]:
    """Leaders see every packet, sales its own; a consultant those assigned to them for
    review and those that became an engagement they lead or are on the team of (the
    people who deliver read what was sold)."""
    if user_has_role(user, Role.LEADER):
        return HandoffPacket.objects.all()
    if user_has_role(user, Role.SALES):
        return HandoffPacket.objects.filter(filed_by=user)
    if user_has_role(user, Role.CONSULTANT):
        # Subqueries, not joins through the team, so that no packet is listed twice.
        delivering = Engagement.objects.filter(Q(lead=user) | Q(team=user)).values("pk")
        return HandoffPacket.objects.filter(
            Q(assigned_reviewer=user) | Q(engagement__in=delivering)
        )
    return HandoffPacket.objects.none()


@dataclass(frozen=True)
class SoldItem:
    item: HandoffItem
    verdict: HandoffVerdict | None

    @property
    def needs_attention(self) -> bool:
        """Judged anything but in scope when the packet was accepted."""
        return self.verdict is not None and self.verdict.verdict in SURPRISE_VERDICTS


def engagement_sold_panel(user: User, engagement: Engagement) -> dict | None:
    """The engagement page's "What was sold": the packet it was accepted from, read-only,
    its items with the accepting review's verdicts, custom work first. None for a
    viewer who may not read the packet, or an engagement that came from none."""
    packet = (
        packets_visible_to(user)
        .filter(engagement=engagement)
        .select_related("filed_by")
        .prefetch_related("items")
        .first()
    )
    if packet is None:
        return None
    review = (
        packet.reviews.order_by("-round", "-id")
        .prefetch_related(Prefetch("verdicts", queryset=HandoffVerdict.objects.order_by("id")))
        .first()
    )
    verdicts = {v.item_id: v for v in review.verdicts.all()} if review else {}
    items = [SoldItem(item=item, verdict=verdicts.get(item.pk)) for item in packet.items.all()]
    items.sort(key=lambda sold: not sold.needs_attention)  # stable: custom work first
    return {
        "packet": packet,
        "items": items,
        "attention_count": sum(sold.needs_attention for sold in items),
    }


def packet_list(*, user: User, status: str = "") -> QuerySet[HandoffPacket]:
    packets = packets_visible_to(user).select_related(
        "client", "filed_by", "assigned_reviewer", "engagement"
    )
    if status:
        packets = packets.filter(status=status)
    return packets.annotate(item_count=item_count(), surprise_count=surprise_count()).order_by(
        "-updated_at", "-id"
    )


def packet_get(*, user: User, packet_id: int) -> HandoffPacket:
    return get_object_or_404(
        packets_visible_to(user).select_related(
            "client", "filed_by", "assigned_reviewer", "engagement"
        ),
        pk=packet_id,
    )


def packet_sections(*, packet: HandoffPacket) -> dict:
    reviews = packet.reviews.select_related("reviewer").prefetch_related(
        Prefetch("verdicts", queryset=HandoffVerdict.objects.order_by("id"))
    )
    return {
        "items": list(packet.items.all()),
        "stakeholders": list(packet.stakeholders.all()),
        "reviews": list(reviews),
        "events": list(packet.events.select_related("actor")),
        "comments": list(packet.comments.select_related("author")),
    }


def business_days_between(start: date, end: date) -> int:
    """Whole business days (Monday to Friday) after ``start`` up to and including ``end``."""
    if end <= start:
        return 0
    days = (end - start).days
    full_weeks, remainder = divmod(days, 7)
    count = full_weeks * 5
    for offset in range(1, remainder + 1):
        if (start + timedelta(days=offset)).weekday() < 5:
            count += 1
    return count


@dataclass(frozen=True)
class QueueEntry:
    packet: HandoffPacket
    age_business_days: int
    overdue: bool


@dataclass(frozen=True)
class ReviewQueue:
    entries: list[QueueEntry]  # those waiting longest, up to the limit asked for
    waiting: int
    overdue: int

    @property
    def more(self) -> int:
        return self.waiting - len(self.entries)


def first_on_time_day(*, today: date, sla_business_days: int) -> date:
    """The earliest submission day still within the review SLA on ``today``: a packet
    submitted before it has waited more than ``sla_business_days`` business days."""
    day = today
    while business_days_between(day - timedelta(days=1), today) <= sla_business_days:
        day -= timedelta(days=1)
    return day


def review_queue(*, today: date | None = None, kind: str = "", limit: int = 25) -> ReviewQueue:
    """Submitted packets waiting for a decision: the ``limit`` oldest with their age
    against the SLA, and how many wait and are overdue in all (counted by the database,
    so the page costs the same however long the queue)."""
    today = today or timezone.localdate()
    sla = OrganizationSettings.current().review_sla_business_days
    submitted = HandoffPacket.objects.filter(status=HandoffPacket.Status.SUBMITTED)
    if kind:
        submitted = submitted.filter(engagement_kind=kind)
    on_time_from = timezone.make_aware(
        datetime.combine(first_on_time_day(today=today, sla_business_days=sla), time.min)
    )
    counts = submitted.aggregate(
        waiting=Count("id"), overdue=Count("id", filter=Q(submitted_at__lt=on_time_from))
    )
    packets = (
        submitted.select_related("client", "filed_by", "assigned_reviewer")
        .annotate(item_count=item_count())
        .order_by("submitted_at", "id")[:limit]
    )
    entries = []
    for packet in packets:
        age = business_days_between(timezone.localdate(packet.submitted_at), today)
        entries.append(QueueEntry(packet=packet, age_business_days=age, overdue=age > sla))
    return ReviewQueue(entries=entries, waiting=counts["waiting"], overdue=counts["overdue"])
