"""Email is rendered in the request and sent by a Celery worker after the transaction commits."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string

_suppressed: ContextVar[bool] = ContextVar("email_suppressed", default=False)


@contextmanager
def emails_suppressed() -> Iterator[None]:
    """No email leaves while this is active (demo data is written through the services)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def email_send_after_commit(
    *, to: list[str], subject_template: str, body_template: str, context: dict
) -> None:
    """Render an email now and send it once the surrounding transaction commits.

    A rolled-back write therefore never sends mail. The schema is captured now and
    passed explicitly, because at commit time the connection may already be back
    in the public schema (see TENANCY-NOTES: ``delay_on_commit`` pitfalls).
    """
    from psops.tasks import send_email

    if _suppressed.get():
        return
    subject = " ".join(render_to_string(subject_template, context).split())
    body = render_to_string(body_template, context)
    schema_name = connection.schema_name  # type: ignore[attr-defined]  # django-tenants'
    transaction.on_commit(
        lambda: send_email.apply_async(
            kwargs={
                "to": to,
                "subject": subject,
                "body": body,
                "from_email": settings.DEFAULT_FROM_EMAIL,
            },
            headers={"_schema_name": schema_name},
        )
    )
