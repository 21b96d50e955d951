"""KPI values served from a cache that no write can leave stale.

Computing every KPI costs the dashboard about twenty aggregate queries and most of its
time; the values change only when the data they read does. So each tenant's schema
counts its writes (``KpiDataChange``, kept by statement-level triggers on every
table of the apps the KPIs read), and computed values are cached under that count:
the first view after a write computes them again, every other view reads them.

Why triggers and not Django signals: signals miss ``QuerySet.update()``,
``bulk_create()``, deletes of related rows by the database and raw SQL, and a cached
number that a bulk write left stale would be wrong without anyone noticing.

Why the sum of a tally and not a counter row: a counter row is locked by every
writing transaction until it commits, which would serialize a tenant's writers; a
row per write statement locks nothing. Its sum, read in the reader's snapshot,
grows exactly when a writing transaction commits (a sequence would not: its values
are taken before commit, out of commit order).

A table a KPI does not read, or one whose writes must leave no trace here, is left
out by name in ``UNTRACKED`` with the reason; ``tests/health/kpis/test_cache.py``
fails when a table of the tracked apps has neither a trigger nor a reason.
"""

import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar, cast

from django.apps import apps
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from health.kpis.base import Kpi, KpiScope

logger = logging.getLogger(__name__)
T = TypeVar("T")

TRACKED_APPS = ("accounts", "engagements", "handoffs", "capacity", "health")
UNTRACKED = {
    "health_kpidatachange": "the tally itself",
    "accounts_notification": "written on every notice and read mark; no KPI reads it",
    "accounts_emailchange": "pending email confirmations; no KPI reads them",
    "handoffs_apitoken": "its last use is written on every API read; no KPI reads it",
    "capacity_workingpattern": "working hours are shown, never counted; no KPI reads them",
    # Privacy: the pulse and private notes leave no trace, not even that one was written.
    "health_pulseresponse": "anonymous pulse answers: no KPI reads them",
    "health_pulseparticipation": "who answered the pulse: no KPI reads it",
    "health_heldpulseanswer": "pulse answers held for anonymity: no KPI reads them",
    "health_oneononeprivatenote": "private 1:1 notes: no KPI reads them",
}
TRIGGER = "kpi_data_changed"
CACHE_SECONDS = 24 * 60 * 60

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The changed table's own schema: a tenant's writes count in that tenant only.
    EXECUTE format('INSERT INTO %I.health_kpidatachange DEFAULT VALUES', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$
"""


def tracked_tables() -> list[str]:
    """The tables whose writes change KPI values: every table of ``TRACKED_APPS``
    (many-to-many tables included) but those ``UNTRACKED`` names."""
    tables = {
        model._meta.db_table
        for label in TRACKED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }
    return sorted(tables - UNTRACKED.keys())


def kpi_triggers_install(using: str = DEFAULT_DB_ALIAS) -> int:
    """Create the tally's function and a trigger on each tracked table of the current
    schema that lacks one; how many were created. Idempotent, so it runs after every
    migration (a new model gets its trigger in the migrate that creates its table)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('health_kpidatachange') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return 0  # the public schema, or a tenant not migrated this far
        cursor.execute(
            """
            SELECT c.relname FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            WHERE t.tgname = %s AND c.relnamespace = current_schema()::regnamespace
            """,
            [TRIGGER],
        )
        present = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
            " AND relkind IN ('r', 'p')"
        )
        existing = {row[0] for row in cursor.fetchall()}
        missing = [table for table in tracked_tables() if table in existing - present]
        if missing:
            cursor.execute(FUNCTION_SQL)
        for table in missing:
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                f' ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()'
            )
    return len(missing)


def data_generation() -> str:
    """What the current transaction sees of the schema's data, as a cache key part.

    - the tally's sum: grows whenever a writing transaction commits;
    - this transaction's id if it has written (its uncommitted writes are in what it
      reads, and are gone if it rolls back: what it caches is for itself alone; ids
      are 64-bit and never reused);
    - the tally table's oid and the server's start time: a schema or database made
      again (a restore, a new test database) starts a new series of sums.
    """
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(sum(weight), 0),
                   pg_current_xact_id_if_assigned(),
                   'health_kpidatachange'::regclass::oid,
                   extract(epoch FROM pg_postmaster_start_time())
            FROM health_kpidatachange
            """
        )
        total, writer, table, started = cursor.fetchone()
    return f"{started}.{table}.{total}.{writer or ''}"


def data_changes_compact() -> int:
    """Fold the tally into one row of the same weight (the sum, hence every cache key,
    unchanged); how many rows it held. Rows added meanwhile by transactions not yet
    committed are not in this statement's snapshot and stay."""
    with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM health_kpidatachange")
        rows = cursor.fetchone()[0]
        if rows > 1:
            cursor.execute(
                """
                WITH folded AS (DELETE FROM health_kpidatachange RETURNING weight)
                INSERT INTO health_kpidatachange (weight)
                SELECT sum(weight) FROM folded HAVING sum(weight) IS NOT NULL
                """
            )
    return int(rows)


def _key(kind: str, *, generation: str, as_of: date, scope: KpiScope, today: date) -> str:
    # The KPIs' day boundaries are the viewer's time zone's (AT TIME ZONE in SQL).
    zone = timezone.get_current_timezone_name()
    return (
        f"kpi-{kind}:{generation}:{as_of.isoformat()}:{today.isoformat()}:{zone}:"
        f"{scope.lead_id or ''}:{scope.kind}:{scope.period_days}"
    )


def _cached(key: str, compute: Callable[[], T], valid: Callable[[object], bool]) -> T:
    """``compute()``'s result under ``key``, computed and stored on a miss. When the
    cache cannot be reached it is computed: slower, never wrong."""
    try:
        cached = cache.get(key)
    except Exception:
        logger.warning("KPI cache unreachable; computing", exc_info=True)
        cached = None
    if cached is not None and valid(cached):
        return cast(T, cached)
    value = compute()
    try:
        cache.set(key, value, CACHE_SECONDS)
    except Exception:
        logger.warning("KPI cache unreachable; not cached", exc_info=True)
    return value


def kpi_values(
    *, kpis: list[Kpi], as_of: date, scope: KpiScope, compute: Callable[[Kpi], Decimal | None]
) -> dict[str, Decimal | None]:
    """Every KPI's value for ``as_of`` in ``scope``, from the cache when no write
    committed since it was computed, else by ``compute`` (then cached)."""
    key = _key(
        "values",
        generation=data_generation(),
        as_of=as_of,
        scope=scope,
        today=timezone.localdate(),
    )
    values = _cached(
        key,
        lambda: {kpi.key: compute(kpi) for kpi in kpis},
        lambda cached: isinstance(cached, dict) and all(kpi.key in cached for kpi in kpis),
    )
    return {kpi.key: values[kpi.key] for kpi in kpis}


def kpi_tiles_html(
    *, as_of: date, scope: KpiScope, today: date, render: Callable[[], str]
) -> SafeString:
    """The dashboard's rendered tiles (values, targets, trends, evidence links: the
    same for every viewer of the scope), from the cache when no write committed since
    they were rendered, else by ``render`` (then cached)."""
    key = _key("tiles", generation=data_generation(), as_of=as_of, scope=scope, today=today)
    return mark_safe(_cached(key, render, lambda cached: isinstance(cached, str)))  # noqa: S308 - our own rendered template
