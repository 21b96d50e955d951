"""Beat survives the database going away and says when it last ran.

Beat is a process of its own with its own connection. Each test runs the scheduler
in a thread, which Django gives a connection of its own: outside the test's
transaction (it sees the committed organizations, as beat does) and free to be
killed and closed without touching the test's connection.
"""

import threading
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connection

from config.celery import app as celery_app
from psops.tenancy import scheduler as beat
from psops.tenancy.scheduler import TenantScheduler

ENTRY = "clear-expired-sign-in-records@__all_tenants_only__"


def as_beat(work: Callable[[], Any]) -> Any:
    """Run ``work`` on a thread with its own database connection; return its result."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def scheduler():
    instance = TenantScheduler(app=celery_app, lazy=True)
    instance.setup_schedule()
    return instance


def sent_to(scheduler, entry) -> list[str]:
    """Apply ``entry`` as beat does; the schemas its task was sent to."""
    schemas = []

    def record(entry, producer=None, advance=False):
        schemas.append(connection.schema_name)
        return mock.Mock(id="task-id")

    with mock.patch.object(scheduler, "apply_async", side_effect=record):
        scheduler.apply_entry(entry)
    return schemas


@pytest.mark.django_db
def test_a_database_error_puts_the_job_back_instead_of_stopping_beat(scheduler, monkeypatch):
    due = scheduler.schedule[ENTRY]
    scheduler.schedule[ENTRY] = scheduler.reserve(due)  # what tick does before applying
    calls = {"n": 0}
    real = TenantScheduler.get_queryset.__func__

    def flaky(cls):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(cls)

    monkeypatch.setattr(TenantScheduler, "get_queryset", classmethod(flaky))

    assert as_beat(lambda: sent_to(scheduler, due)) == []  # no exception: beat runs on

    assert scheduler.schedule[ENTRY] is due  # due again, not skipped until tomorrow
    assert 0 < scheduler.tick() <= beat.RETRY_SECONDS  # and not retried in a tight loop

    scheduler._retry_at = 0.0  # the pause is over
    retried = as_beat(lambda: sent_to(scheduler, scheduler.schedule[ENTRY]))
    assert sorted(retried) == ["acme", "globex"]


@pytest.mark.django_db
def test_a_connection_killed_under_beat_is_replaced(scheduler):
    """What a PostgreSQL restart does to beat's long-lived connection."""

    def kill_the_connection_then_apply() -> tuple[list[str], bool]:
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        with psycopg.connect(connection.connection.info.dsn, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        sent = sent_to(scheduler, scheduler.schedule[ENTRY])
        return sent, connection.connection.info.backend_pid != pid

    sent, reconnected = as_beat(kill_the_connection_then_apply)

    # The dead connection is noticed (health check) and replaced before the job's query.
    assert sorted(sent) == ["acme", "globex"]
    assert reconnected


def test_each_tick_records_that_beat_is_alive(scheduler):
    before = time.time()
    with mock.patch("celery.beat.Scheduler.tick", return_value=5.0):
        scheduler.tick()

    assert beat.beat_last_tick() >= before
