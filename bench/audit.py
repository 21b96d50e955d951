"""Audit trail benchmark: what recording costs the writes, and the audit page at a
million entries.

Run it with ``make bench-audit`` or ``.venv/bin/python -m bench.audit [--runs 5]``.

The tenant ``bench-audit`` is built like the page benchmark's 1,000-engagement tenant
(about 100,000 rows, each recorded as it is written), then its audit table is topped
up to ``--entries`` (1,000,000) with generated entries spread over two years, 50
people, every audited kind of object and the engagements' histories.

Write cost: each write runs in a transaction that is rolled back, alternately with
the audit triggers and with them disabled (``ALTER TABLE ... DISABLE TRIGGER``, inside
the same transaction), and the medians are compared:

- 1,000 follow-up updates, one statement each (as 1,000 requests would);
- one bulk update of 1,000 follow-ups (one statement);
- the risk scans' first pass (every risk deleted first, then found again).

Pages: server time through the whole stack, signed in as the tenant's admin, as in
``bench.pages``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

SLUG = "bench-audit"
ENGAGEMENTS = 1000


def environment() -> None:
    from bench.pages import environment as pages_environment

    pages_environment()


def tenant_ensure(entries: int) -> str:
    """The tenant, built if missing, with at least ``entries`` audit entries; its schema."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from bench.pages import build
    from psops.audit.triggers import audit_triggers_install
    from psops.tenancy.models import Organization

    organization = Organization.objects.filter(slug=SLUG).first()
    if organization is None:
        build(SLUG, ENGAGEMENTS)
        organization = Organization.objects.get(slug=SLUG)
    with schema_context(organization.schema_name), connection.cursor() as cursor:
        # A tenant built by an earlier run measures the recording function of this one.
        audit_triggers_install()
        cursor.execute("SELECT count(*) FROM audit_entry")
        have = cursor.fetchone()[0]
        if have < entries:
            started = time.perf_counter()
            _top_up(cursor, entries - have)
            print(
                f"  {entries - have:,} generated entries in {time.perf_counter() - started:.0f} s"
            )
        cursor.execute("ANALYZE audit_entry")
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
    return organization.schema_name


TOP_UP_SQL = """
INSERT INTO audit_entry (
    at, action, table_name, object_id, object_label, parent, changes, hidden,
    actor_kind, actor_id, actor_label, token_id, ip, user_agent, origin, transaction_id
)
SELECT
    now() - interval '730 days' + (g * interval '730 days' / %(n)s),
    (ARRAY['insert', 'update', 'update', 'update', 'delete'])[1 + g %% 5],
    t.name,
    (1 + g %% 1000)::text,
    'Object ' || (g %% 1000),
    CASE WHEN t.name IN ('engagements_followup', 'engagements_painpoint',
                         'engagements_activity', 'engagements_recommendation')
         THEN 'engagements_engagement:' || (1 + g %% 1000) ELSE '' END,
    jsonb_build_object('title', jsonb_build_array('Before ' || g, 'After ' || g)),
    '{}',
    'user',
    1 + g %% 50,
    'person' || (g %% 50) || '@bench-audit.test',
    NULL,
    ('198.51.100.' || (g %% 250))::inet,
    'Mozilla/5.0 (bench)',
    'POST /engagements/' || (1 + g %% 1000) || '/edit/',
    g
FROM generate_series(1, %(n)s) AS g
CROSS JOIN LATERAL (
    SELECT (ARRAY['engagements_followup', 'engagements_followup', 'engagements_painpoint',
                  'engagements_activity', 'engagements_engagement', 'engagements_recommendation',
                  'handoffs_handoffpacket', 'health_risk', 'accounts_user',
                  'health_kpitarget'])[1 + (g / 7) %% 10] AS name
) t
"""


def _top_up(cursor, count: int) -> None:  # type: ignore[no-untyped-def]
    # The benchmark is the operator here: the append-only guard refuses inserts that
    # do not come from the recording triggers, so it is off for this one transaction.
    from django.db import transaction

    with transaction.atomic():
        cursor.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_append_only")
        cursor.execute(TOP_UP_SQL, {"n": count})
        cursor.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_append_only")


# --- Write cost --------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteCost:
    label: str
    with_audit_ms: float
    without_audit_ms: float
    entries: int

    @property
    def overhead_percent(self) -> float:
        return 100 * (self.with_audit_ms / self.without_audit_ms - 1)


def _followups(count: int) -> list:
    from engagements.models import FollowUp

    return list(FollowUp.objects.order_by("id")[:count])


def one_statement_each() -> None:
    from engagements.models import FollowUp

    for followup in _followups(1000):
        FollowUp.objects.filter(pk=followup.pk).update(title=followup.title + " (moved)")


def one_bulk_update() -> None:
    from engagements.models import FollowUp

    followups = _followups(1000)
    for followup in followups:
        followup.title += " (renamed)"
    FollowUp.objects.bulk_update(followups, ["title"])


def risk_scans_first_pass() -> None:
    from django.utils import timezone

    from health.models import Risk
    from health.risks.scans import risk_scans_run

    Risk.objects.all().delete()
    started = time.perf_counter()
    risk_scans_run(now=timezone.now())
    _timed_part.append(time.perf_counter() - started)


_timed_part: list[float] = []
WRITES: list[tuple[str, Callable[[], None]]] = [
    ("1,000 follow-up updates, one statement each", one_statement_each),
    ("one bulk update of 1,000 follow-ups", one_bulk_update),
    ("risk scans, first pass", risk_scans_first_pass),
]


def _disable_audit_triggers(cursor) -> None:  # type: ignore[no-untyped-def]
    from psops.audit.triggers import audited_models

    for table in audited_models():
        for trigger in ("audit_insert", "audit_update", "audit_delete", "audit_truncate"):
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER {trigger}')


def _timed_write(write: Callable[[], None], *, audited: bool) -> tuple[float, int]:
    from django.db import connection, transaction

    from psops.audit.context import audit_context

    with transaction.atomic(), connection.cursor() as cursor:
        if not audited:
            _disable_audit_triggers(cursor)
        cursor.execute("SELECT coalesce(max(id), 0) FROM audit_entry")
        last = cursor.fetchone()[0]
        _timed_part.clear()
        with audit_context({"kind": "user", "user": 1, "label": "bench", "origin": "bench"}):
            started = time.perf_counter()
            write()
            elapsed = time.perf_counter() - started
        if _timed_part:
            elapsed = _timed_part[0]
        cursor.execute("SELECT count(*) FROM audit_entry WHERE id > %s", [last])
        recorded = cursor.fetchone()[0]
        transaction.set_rollback(True)
    return elapsed * 1000, recorded


def write_costs(schema: str, *, runs: int) -> list[WriteCost]:
    from django_tenants.utils import schema_context

    results = []
    with schema_context(schema):
        for label, write in WRITES:
            timings: dict[bool, list[float]] = {True: [], False: []}
            entries = 0
            _timed_write(write, audited=True)  # warm-up
            for _ in range(runs):
                for audited in (True, False):
                    elapsed, recorded = _timed_write(write, audited=audited)
                    timings[audited].append(elapsed)
                    if audited:
                        entries = recorded
            result = WriteCost(
                label=label,
                with_audit_ms=statistics.median(timings[True]),
                without_audit_ms=statistics.median(timings[False]),
                entries=entries,
            )
            results.append(result)
            print(
                f"  {label}: {result.with_audit_ms:.0f} ms with the audit, "
                f"{result.without_audit_ms:.0f} ms without ({result.overhead_percent:+.0f}%, "
                f"{entries:,} entries)",
                flush=True,
            )
    return results


# --- The page ----------------------------------------------------------------------------


def audit_pages(schema: str) -> list[tuple[str, str]]:
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from engagements.models import Engagement

    with schema_context(schema), connection.cursor() as cursor:
        engagement = Engagement.objects.order_by("id")[0]
        cursor.execute("SELECT id FROM audit_entry ORDER BY id DESC OFFSET 1000 LIMIT 1")
        twenty_pages_back = cursor.fetchone()[0]
        cursor.execute(
            "SELECT actor_id FROM audit_entry WHERE actor_id IS NOT NULL"
            " GROUP BY actor_id ORDER BY count(*) DESC LIMIT 1"
        )
        busiest = cursor.fetchone()[0]
    a_year_ago = timezone.localdate() - timedelta(days=365)
    month = f"since={a_year_ago}&until={a_year_ago + timedelta(days=30)}"
    return [
        ("newest entries", "/settings/audit/"),
        ("one person's changes", f"/settings/audit/?person={busiest}"),
        ("one object type", "/settings/audit/?type=engagements_followup"),
        (
            "an engagement's history",
            f"/settings/audit/?type=engagements_engagement&object={engagement.pk}",
        ),
        ("a month a year ago", f"/settings/audit/?{month}"),
        ("twenty pages back", f"/settings/audit/?before={twenty_pages_back}"),
        (
            "CSV of an engagement's history",
            f"/settings/audit/export.csv?type=engagements_engagement&object={engagement.pk}",
        ),
    ]


def measure_pages(schema: str, *, runs: int, warmup: int) -> list:
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from bench.pages import PageResult, QueryRecorder, answered, percentile, raw_sql_ms
    from psops.accounts.models import User
    from psops.tenancy.models import Organization

    organization = Organization.objects.get(schema_name=schema)
    browser = Client(HTTP_HOST=organization.get_primary_domain().domain)
    with schema_context(schema):
        browser.force_login(User.objects.get(email=f"admin@{SLUG}.test"))
    results = []
    for label, path in audit_pages(schema):
        for _ in range(warmup):
            answered(browser.get(path), label)
        recorder = QueryRecorder()
        with connection.execute_wrapper(recorder):
            response = browser.get(path)
            response.getvalue()
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = browser.get(path)
            response.getvalue()  # a streamed CSV is made while it is read
            times.append((time.perf_counter() - started) * 1000)
            answered(response, label)
        result = PageResult(
            label=label,
            path=path,
            median_ms=statistics.median(times),
            p90_ms=percentile(times, 0.9),
            slowest_ms=max(times),
            queries=recorder.count,
            sql_ms=raw_sql_ms(schema, recorder.queries, runs=3),
        )
        results.append(result)
        print(
            f"  {label}: {result.median_ms:.0f} ms ({result.queries} queries, "
            f"{result.sql_ms:.1f} ms of SQL)",
            flush=True,
        )
    return results


def tables(entries: int, costs: list[WriteCost], pages: list) -> str:
    lines = [
        "| write | with the audit | without | cost | entries |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.label} | {c.with_audit_ms:.0f} ms | {c.without_audit_ms:.0f} ms | "
        f"{c.overhead_percent:+.0f}% | {c.entries:,} |"
        for c in costs
    ]
    lines += [
        "",
        f"Audit page with {entries:,} entries",
        "| view | median | p90 | queries | SQL alone |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {p.label} | {p.median_ms:.0f} ms | {p.p90_ms:.0f} ms | {p.queries} | "
        f"{p.sql_ms:.1f} ms |"
        for p in pages
    ]
    return "\n".join(lines)


def run(*, entries: int, runs: int, warmup: int) -> dict:
    schema = tenant_ensure(entries)
    print("Write cost of the audit", flush=True)
    costs = write_costs(schema, runs=runs)
    print(f"Audit page at {entries:,} entries", flush=True)
    pages = measure_pages(schema, runs=max(runs, 5), warmup=warmup)
    return {
        "entries": entries,
        "writes": [asdict(c) | {"overhead_percent": c.overhead_percent} for c in costs],
        "pages": [asdict(p) for p in pages],
        "table": tables(entries, costs, pages),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)

    environment()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    result = run(entries=args.entries, runs=args.runs, warmup=args.warmup)
    print(f"\n{result['table']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
