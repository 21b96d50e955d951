"""Celery beat: one fan-out per scheduled job, each run inside every customer tenant.

tenant-schemas-celery's scheduler sends a due entry once per tenant row except
public. The template schema has no tenant row, so it is never reached; the
queryset is narrowed to customer organizations all the same, so that any future
non-customer row is excluded here too.

Beat lives for months on one database connection. When PostgreSQL restarts, that
connection is dead and the next due job's tenant query fails; unhandled, that
stopped beat for good. Here a job whose fan-out hits a database error is put back
as due and tried again at the next tick, on a fresh connection. Each tick also
records when beat last ran (``beat_last_tick``), which ``/healthz`` reports.
"""

import logging
import time
from typing import Any

import redis
from celery.beat import ScheduleEntry
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.db.models import QuerySet
from tenant_schemas_celery.scheduler import TenantAwareScheduler

from psops.tenancy.models import Organization
from psops.tenancy.selectors import organization_list_tenants

logger = logging.getLogger(__name__)

BEAT_TICK_KEY = "psops:beat:last-tick"
# A job that could not be sent waits this long before its next try.
RETRY_SECONDS = 10


def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_CLIENT_URL, socket_timeout=2)


def beat_last_tick() -> float | None:
    """When beat last ran (epoch seconds), or None if it never did (or Redis is down)."""
    try:
        value = _redis().get(BEAT_TICK_KEY)
    except redis.RedisError:
        return None
    return float(value) if value else None


class TenantScheduler(TenantAwareScheduler):
    @classmethod
    def get_queryset(cls) -> QuerySet[Organization]:
        return organization_list_tenants()

    _retry_at = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """Seconds until beat should tick again; records that it is alive."""
        try:
            _redis().set(BEAT_TICK_KEY, time.time())
        except redis.RedisError:
            logger.warning("Could not record beat's tick in Redis.", exc_info=True)
        waiting = self._retry_at - time.monotonic()
        if waiting > 0:  # the database was down a moment ago: do not hammer it
            return waiting
        return super().tick(*args, **kwargs)

    def apply_entry(self, entry: ScheduleEntry, producer: Any = None) -> None:
        # A connection broken by a database restart is closed here (health-checked),
        # so this job's queries open a new one. Never inside a transaction: beat has
        # none, and one that called us (a test) keeps its connection.
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            super().apply_entry(entry, producer=producer)
        except DatabaseError:
            logger.warning(
                "Database unavailable: %s is due again in %s s.",
                entry.name,
                RETRY_SECONDS,
                exc_info=True,
            )
            connection.close()
            self._due_again(entry)

    def _due_again(self, entry: ScheduleEntry) -> None:
        """Undo the reservation ``tick`` made, so the job runs once the database is back."""
        self.schedule[entry.name] = entry
        self._heap = None  # rebuilt from the schedule at the next tick
        self._retry_at = time.monotonic() + RETRY_SECONDS
