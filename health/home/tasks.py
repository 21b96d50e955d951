from celery import shared_task
from django.utils import timezone

from health.home.digest import digest_send

__all__ = ["weekly_digest"]


@shared_task(name="health.tasks_digest.weekly_digest")
def weekly_digest() -> int:
    """Weekly, per tenant (beat): each leader's digest; a second run that week sends none."""
    return digest_send(today=timezone.localdate())
