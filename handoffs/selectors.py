"""Reads on handoff packets, narrowed to what each role may see."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from handoffs.models import HandoffPacket, HandoffVerdict, Verdict
from psops.accounts.models import OrganizationSettings, Role, User
from psops.accounts.permissions import user_has_role


def surprise_count() -> Count:
    """A packet's surprises: its items judged anything but in scope, in any round.

    The packet list and the CRM API show this same count.
    """
    return Count(
        "reviews__verdicts__item",
        filter=~Q(reviews__verdicts__verdict=Verdict.IN_SCOPE),
        distinct=True,
    )


# Who reads handoff packets at all. Admins run the organization's settings, not its
# deals: they see the review queue's size and the enablement report's aggregates,
# never a packet, its SOW or its comments.
PACKET_READERS = (Role.SALES, Role.CONSULTANT, Role.LEADER)


def user_reads_packets(user: User) -> bool:
    return user_has_role(user, *PACKET_READERS)


def packets_visible_to(user: User) -> QuerySet[HandoffPacket]:
    """Leaders see every packet, sales its own, a consultant those assigned to them."""
    if user_has_role(user, Role.LEADER):
        return HandoffPacket.objects.all()
    if user_has_role(user, Role.SALES):
        return HandoffPacket.objects.filter(filed_by=user)
    if user_has_role(user, Role.CONSULTANT):
        return HandoffPacket.objects.filter(assigned_reviewer=user)
    return HandoffPacket.objects.none()


def packet_list(*, user: User, status: str = "") -> QuerySet[HandoffPacket]:
    packets = packets_visible_to(user).select_related(
        "client", "filed_by", "assigned_reviewer", "engagement"
    )
    if status:
        packets = packets.filter(status=status)
    return packets.annotate(
        item_count=Count("items", distinct=True), surprise_count=surprise_count()
    ).order_by("-updated_at", "-id")


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


def review_queue(*, today: date | None = None) -> list[QueueEntry]:
    """Submitted packets waiting for a decision, oldest first, with their age against the SLA."""
    today = today or timezone.localdate()
    sla = OrganizationSettings.current().review_sla_business_days
    packets = (
        HandoffPacket.objects.filter(status=HandoffPacket.Status.SUBMITTED)
        .select_related("client", "filed_by", "assigned_reviewer")
        .annotate(item_count=Count("items"))
        .order_by("submitted_at", "id")
    )
    entries = []
    for packet in packets:
        submitted = timezone.localdate(packet.submitted_at)
        age = business_days_between(submitted, today)
        entries.append(QueueEntry(packet=packet, age_business_days=age, overdue=age > sla))
    return entries
