"""Email is rendered in the request, owed in its transaction and sent by the worker.

The rendered email goes into the outbox (``psops.outbox``) in the same transaction as
the change that owes it, so a rolled-back write sends nothing and a committed one
loses nothing to a broker or worker restart.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string

from psops.outbox.services import Email, outbox_add

_suppressed: ContextVar[bool] = ContextVar("email_suppressed", default=False)


@contextmanager
def emails_suppressed() -> Iterator[None]:
    """No email leaves while this is active (demo data is written through the services)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


@dataclass(frozen=True)
class EmailToSend:
    """An email to render from templates: who gets it and what it is about."""

    to: list[str]
    subject_template: str
    body_template: str
    context: dict
    purpose: str = ""  # what it is about ("invitation:12"), to find it again


def email_send_after_commit(
    *,
    to: list[str],
    subject_template: str,
    body_template: str,
    context: dict,
    purpose: str = "",
) -> None:
    """Render an email now and owe it in the current transaction (see ``psops.outbox``)."""
    emails_send_after_commit([EmailToSend(to, subject_template, body_template, context, purpose)])


def emails_send_after_commit(emails: list[EmailToSend]) -> None:
    """Render emails now and owe them in the current transaction, in one query."""
    if _suppressed.get() or not emails:
        return
    outbox_add(
        [
            Email(
                to=email.to,
                subject=" ".join(render_to_string(email.subject_template, email.context).split()),
                body=render_to_string(email.body_template, email.context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                purpose=email.purpose,
            )
            for email in emails
        ]
    )
