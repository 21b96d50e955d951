from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q

# After this many failed attempts an email stops being retried by itself; admins see
# it on the delivery page and can retry it.
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4, ... minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


class OutboundEmailQuerySet(models.QuerySet["OutboundEmail"]):
    def unsent(self) -> "OutboundEmailQuerySet":
        return self.filter(sent_at__isnull=True)

    def due(self, now: datetime) -> "OutboundEmailQuerySet":
        return self.unsent().filter(attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now)

    def failing(self) -> "OutboundEmailQuerySet":
        """Not sent and tried at least once: what an admin should know about."""
        return self.unsent().filter(attempts__gt=0)


class OutboundEmail(models.Model):
    """One email owed to someone, from the moment the change that owes it commits."""

    to = models.JSONField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    from_email = models.CharField(max_length=300)
    # What the email is about, for finding it again ("invitation:12"); may be blank.
    purpose = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        indexes = [
            # The sweep's query: unsent rows by when they are due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True),
                name="outbox_unsent_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {', '.join(self.to)}"

    @property
    def gave_up(self) -> bool:
        return self.sent_at is None and self.attempts >= MAX_ATTEMPTS
