"""Outbox tests: a broker that cannot be reached, and a mail server that refuses."""

import smtplib

import pytest
from kombu.exceptions import OperationalError

from psops.outbox.tasks import outbox_deliver


@pytest.fixture
def broker_down(monkeypatch):
    """Handing a task to the broker fails as it does when Redis is down."""

    def unreachable(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(outbox_deliver, "apply_async", unreachable)


@pytest.fixture
def mail_server_down(monkeypatch):
    """Every send fails the way an unreachable SMTP server makes it fail."""

    def refuse(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "mail server unavailable")

    monkeypatch.setattr("psops.outbox.services.send_mail", refuse)
