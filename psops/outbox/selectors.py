"""What the admins' delivery page lists."""

from psops.outbox.models import OutboundEmail, OutboundEmailQuerySet


def outbox_problems() -> OutboundEmailQuerySet:
    """Unsent emails that have failed at least once, the longest-waiting first."""
    return OutboundEmail.objects.failing().order_by("created_at", "id")


def outbox_counts() -> dict[str, int]:
    from django.db.models import Count, Q

    return OutboundEmail.objects.aggregate(
        waiting=Count("id", filter=Q(sent_at__isnull=True, attempts=0)),
        failing=Count("id", filter=Q(sent_at__isnull=True, attempts__gt=0)),
    )
