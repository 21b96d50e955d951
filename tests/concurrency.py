"""Two writers at once, for tests of races that only real concurrency shows.

A test runs inside its own transaction, so a second writer cannot be faked there. Each
piece of work here runs in a thread, on a database connection of its own, which really
commits: the test creates what it needs through ``run_on_own_connection`` and removes
it the same way afterwards.
"""

import threading
import time
from dataclasses import dataclass, field

from django.db import connection

from psops.tenancy.models import Organization


@dataclass
class Running:
    """Work started in a thread: its database backend's pid, once known, and its outcome."""

    thread: threading.Thread
    started: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    pid: int | None = None
    outcome: dict = field(default_factory=dict)

    def result(self, *, timeout: float = 60):
        self.thread.join(timeout=timeout)
        assert not self.thread.is_alive(), "the work in the other thread did not finish"
        if "error" in self.outcome:
            raise self.outcome["error"]
        return self.outcome.get("value")


def start_on_own_connection(work, *, tenant: Organization) -> Running:
    """Start ``work()`` in the tenant's schema on a new connection; don't wait for it."""

    def target():
        connection.set_tenant(tenant)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                running.pid = cursor.fetchone()[0]
            running.started.set()
            running.outcome["value"] = work()
        except BaseException as error:
            running.outcome["error"] = error
        finally:
            running.started.set()
            running.done.set()
            connection.close()

    running = Running(thread=threading.Thread(target=target))
    running.thread.start()
    return running


def run_on_own_connection(work, *, tenant: Organization):
    """Run ``work()`` on a new connection, which commits, and return what it returned."""
    return start_on_own_connection(work, tenant=tenant).result()


def wait_until_blocked_or_done(running: Running, *, timeout: float = 30) -> bool:
    """Wait until the other work has finished or waits for a lock; True if it waits.

    Asked on the calling thread's connection: ``pg_blocking_pids`` reads the lock
    table as it is now, also inside a transaction.
    """
    assert running.started.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while not running.done.is_set():
        with connection.cursor() as cursor:
            cursor.execute("SELECT cardinality(pg_blocking_pids(%s))", [running.pid])
            if cursor.fetchone()[0]:
                return True
        assert time.monotonic() < deadline, "the other work neither finished nor waited"
        time.sleep(0.01)
    return False
