"""The task that sent emails before the outbox; kept so that messages a running
deployment still has queued under this name are delivered, not dropped."""

from celery import shared_task
from django.core.mail import send_mail


@shared_task(
    name="psops.tasks.send_email", autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def send_email(*, to: list[str], subject: str, body: str, from_email: str) -> int:
    return send_mail(subject, body, from_email, to)
