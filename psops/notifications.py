"""In-app notifications, each mirrored by an email sent after the transaction commits."""

from collections.abc import Iterable

from django.db import transaction

from psops.accounts.models import Notification, User
from psops.mail import email_send_after_commit


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    title: str,
    body: str = "",
    url: str = "",
    source_key: str = "",
    base_url: str = "",
) -> list[Notification]:
    """Notify each recipient once per ``source_key`` (a repeated call notifies nobody again).

    Returns the notifications actually created; only those are emailed.
    """
    recipients = {user.pk: user for user in recipients if user.is_active}
    if source_key:
        already = set(
            Notification.objects.filter(
                recipient_id__in=recipients, source_key=source_key
            ).values_list("recipient_id", flat=True)
        )
        recipients = {pk: user for pk, user in recipients.items() if pk not in already}
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user, title=title[:300], body=body, url=url, source_key=source_key
            )
            for user in recipients.values()
        ],
        ignore_conflicts=bool(source_key),
    )
    for user in recipients.values():
        email_send_after_commit(
            to=[user.email],
            subject_template="notifications/email_subject.txt",
            body_template="notifications/email_body.txt",
            context={"title": title, "body": body, "url": base_url + url if url else ""},
        )
    return created


def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    from django.utils import timezone

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
