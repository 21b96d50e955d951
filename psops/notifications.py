"""In-app notifications, each mirrored by an email sent after the transaction commits."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from psops.accounts.models import Notification, User
from psops.mail import EmailToSend, emails_send_after_commit


@dataclass(frozen=True)
class Notice:
    recipient: User
    source_key: str
    title: str
    body: str
    url: str = ""


def notify_many(notices: list[Notice]) -> list[Notification]:
    """Notify each recipient once per ``source_key``, in two queries however many notices.

    A notice whose recipient already heard about its ``source_key`` is skipped, so a
    job that runs again notifies nobody twice; inactive people are skipped; each new
    notification is mirrored by an email owed in the same transaction (one query).
    """
    notices = [n for n in notices if n.recipient.is_active]
    if not notices:
        return []
    already = set(
        Notification.objects.filter(
            source_key__in={n.source_key for n in notices},
            recipient_id__in={n.recipient.pk for n in notices},
        ).values_list("recipient_id", "source_key")
    )
    fresh, seen = [], set()
    for notice in notices:
        pair = (notice.recipient.pk, notice.source_key)
        if pair in already or pair in seen:
            continue
        seen.add(pair)
        fresh.append(notice)
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient=n.recipient,
                title=n.title[:300],
                body=n.body,
                url=n.url,
                source_key=n.source_key,
            )
            for n in fresh
        ],
        ignore_conflicts=True,
    )
    emails_send_after_commit([_email(group) for group in _by_recipient(fresh)])
    return created


# A digest lists this many notices in full; the rest are counted.
DIGEST_LISTED = 20


def _by_recipient(notices: list[Notice]) -> list[list[Notice]]:
    groups: dict[int, list[Notice]] = {}
    for notice in notices:
        groups.setdefault(notice.recipient.pk, []).append(notice)
    return list(groups.values())


def _email(notices: list[Notice]) -> EmailToSend:
    """One email per person per batch: the notice itself, or a digest of several (a
    scan that finds 300 overdue follow-ups of one person sends them one email)."""
    first = notices[0]
    if len(notices) == 1:
        return EmailToSend(
            to=[first.recipient.email],
            subject_template="notifications/email_subject.txt",
            body_template="notifications/email_body.txt",
            context={"title": first.title, "body": first.body, "url": first.url},
            purpose=f"notice:{first.source_key}"[:100],
        )
    return EmailToSend(
        to=[first.recipient.email],
        subject_template="notifications/digest_subject.txt",
        body_template="notifications/digest_body.txt",
        context={
            "count": len(notices),
            "listed": notices[:DIGEST_LISTED],
            "more": max(len(notices) - DIGEST_LISTED, 0),
        },
        purpose=f"notices:{len(notices)}:{first.source_key}"[:100],
    )


def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
