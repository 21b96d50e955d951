"""Writing emails into the outbox, and delivering them from it."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.mail import get_connection, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.utils import timezone

from psops.outbox.models import OutboundEmail, backoff

logger = logging.getLogger(__name__)

# At most this many emails per organization and sweep; the rest wait a minute.
SWEEP_BATCH = 200


@dataclass(frozen=True)
class Email:
    to: list[str]
    subject: str
    body: str
    from_email: str
    purpose: str = ""


def outbox_add(emails: list[Email]) -> list[OutboundEmail]:
    """Owe emails: rows in the current transaction (one query), handed on after commit."""
    if not emails:
        return []
    now = timezone.now()
    rows = OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                to=email.to,
                subject=email.subject[:300],
                body=email.body,
                from_email=email.from_email,
                purpose=email.purpose,
                created_at=now,
                next_attempt_at=now,
            )
            for email in emails
        ]
    )
    ids = [row.pk for row in rows]
    schema_name = connection.schema_name  # type: ignore[attr-defined]  # django-tenants'
    transaction.on_commit(lambda: _hand_to_worker(ids, schema_name))
    return rows


def _hand_to_worker(email_ids: list[int], schema_name: str) -> None:
    """Ask the worker to deliver now (one task for them all); else the sweep will."""
    from psops.outbox.tasks import outbox_deliver

    try:
        outbox_deliver.apply_async(args=(email_ids,), headers={"_schema_name": schema_name})
    except Exception:
        logger.warning(
            "Broker unreachable: %s email(s) in %s wait for the next sweep.",
            len(email_ids),
            schema_name,
            exc_info=True,
        )


def outbox_deliver_batch(*, email_ids: list[int], now: datetime | None = None) -> int:
    """Deliver several owed emails over one connection to the mail server; how many
    were sent. Each is still locked, sent and marked on its own (``outbox_deliver``);
    if the connection cannot be opened, each try fails and is due again later."""
    opened = get_connection()
    mail: BaseEmailBackend | None = opened
    try:
        opened.open()
    except Exception:  # each email records the failure on its own row
        mail = None
    try:
        return sum(outbox_deliver(email_id=email_id, now=now, mail=mail) for email_id in email_ids)
    finally:
        if mail is not None:
            mail.close()


def outbox_deliver(
    *, email_id: int, now: datetime | None = None, mail: BaseEmailBackend | None = None
) -> bool:
    """Send one owed email if it is still unsent; True if this call sent it.

    With ``now`` (the sweep), only if it is due by then. The row stays locked while
    the mail server is talked to, so a concurrent delivery skips it instead of
    sending it twice; each email commits on its own, so a crash loses no mark.
    """
    rows = OutboundEmail.objects.due(now) if now else OutboundEmail.objects.unsent()
    with transaction.atomic():
        email = rows.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None:
            return False  # sent already, not due, or being sent right now
        return _attempt(email, mail=mail)


def outbox_sweep(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> int:
    """Deliver the emails that are due (the broker was down, a try failed); how many sent."""
    now = now or timezone.now()
    due = OutboundEmail.objects.due(now).order_by("next_attempt_at", "id")
    ids = list(due.values_list("id", flat=True)[:limit])
    return outbox_deliver_batch(email_ids=ids, now=now)


def outbox_retry(*, email: OutboundEmail) -> None:
    """An admin asks for another try now (also after the retries gave up)."""
    if email.sent_at is not None:
        return
    OutboundEmail.objects.filter(pk=email.pk, sent_at__isnull=True).update(
        next_attempt_at=timezone.now(), attempts=0
    )
    schema_name = connection.schema_name  # type: ignore[attr-defined]  # django-tenants'
    transaction.on_commit(lambda: _hand_to_worker([email.pk], schema_name))


def _attempt(email: OutboundEmail, *, mail: BaseEmailBackend | None = None) -> bool:
    """One try at a locked row: marked sent (body blanked), or due again later."""
    try:
        send_mail(email.subject, email.body, email.from_email, email.to, connection=mail)
    except Exception as error:
        email.attempts += 1
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        email.next_attempt_at = timezone.now() + backoff(email.attempts)
        email.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        logger.warning("Email %s not sent (attempt %s): %s", email.pk, email.attempts, error)
        return False
    email.sent_at = timezone.now()
    email.attempts += 1
    email.body = ""  # it may hold a one-time link; the mail server has it now
    email.last_error = ""
    email.save(update_fields=["sent_at", "attempts", "body", "last_error"])
    return True
