"""Page benchmark: server time and queries of the main pages at a realistic size.

Run it with ``make bench-pages`` or
``.venv/bin/python -m bench.pages [--engagements 1000] [--runs 15]``.

What it measures: the time of one request through the whole Django stack (every
middleware, the view, the templates), in process with Django's test client signed in
as the page's user, so the network and the web server are left out. Each page is
asked ``--warmup`` times, then ``--runs`` timed times; the median and the slowest are
printed with the page's query count (taken once, by an execute wrapper).

The tenant: ``bench-pages-<N>`` in the benchmark's own database (``psops_bench`` on the
embedded PostgreSQL unless ``DATABASE_URL`` is set; see ``bench.provisioning``), built
once per size and kept for later runs: ``N`` engagements with, each, 30 follow-ups, 40
timeline entries, 10 pain points (two of them scaling), 5 recommendations and a
handoff packet with items and a review; 50 people with a year of check-ins; then the
risk scans and 84 days of KPI snapshots, as in production. At 1,000 engagements that
is about 100,000 rows. ``--rebuild`` drops and builds it again.

Settings are production's (``DEBUG`` off, templates cached), on the embedded servers.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpResponseBase

PASSWORD = "bench-pages-2026"  # noqa: S105 - the benchmark tenant's own people
# The dashboard when a write has just committed: its KPI values and tiles are
# computed again instead of read from the cache (every other row reads them).
AFTER_A_WRITE = "leader dashboard, first view after a write"


def environment() -> None:
    """Production-like settings on the benchmark database (before Django loads)."""
    from bench.provisioning import use_bench_database

    use_bench_database()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-pages-only-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEF",
            "SECURE_COOKIES": "false",
            "PSOPS_BASE_DOMAIN": "localhost",
            "PSOPS_URL_SCHEME": "http",
            "ALLOWED_HOSTS": "localhost,.localhost,testserver",
            "STATIC_MANIFEST": "false",
            "CELERY_TASK_ALWAYS_EAGER": "true",
        }
    )


def build(slug: str, engagements: int) -> None:
    """The tenant and its data, in bulk (the past, not work through today's services)."""
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from engagements.models import (
        Activity,
        Client,
        Engagement,
        FollowUp,
        PainPoint,
        Recommendation,
    )
    from handoffs.models import (
        CHECKLIST,
        HandoffItem,
        HandoffPacket,
        HandoffReview,
        HandoffVerdict,
        Verdict,
    )
    from health.kpis.snapshots import kpi_snapshots_backfill
    from health.models import CheckIn
    from health.risks.scans import risk_scans_run
    from health.weeks import recent_weeks
    from psops.accounts.models import Role, User
    from psops.mail import emails_suppressed
    from psops.tenancy.services import organization_create

    rng = random.Random(slug)  # noqa: S311 - benchmark data
    today = timezone.localdate()
    started = time.perf_counter()
    with emails_suppressed():
        organization = organization_create(
            name=f"Bench {engagements}",
            slug=slug,
            admin_email=f"admin@{slug}.test",
            admin_password=PASSWORD,
        ).organization
    with schema_context(organization.schema_name), emails_suppressed():
        leader = User.objects.create_user(
            email=f"leader@{slug}.test", password=PASSWORD, role=Role.LEADER, full_name="Lee"
        )
        consultants = [
            User.objects.create_user(
                email=f"c{n}@{slug}.test",
                password=PASSWORD,
                role=Role.CONSULTANT,
                full_name=f"Consultant {n}",
                team=f"Team {n % 5}",
                manager=leader if n < 5 else None,
            )
            for n in range(45)
        ]
        sellers = [
            User.objects.create_user(
                email=f"s{n}@{slug}.test", password=PASSWORD, role=Role.SALES, full_name=f"S {n}"
            )
            for n in range(4)
        ]
        User.objects.update(date_joined=timezone.now() - timedelta(days=400))
        clients = Client.objects.bulk_create(
            Client(name=f"Client {n:04d}", industry="Software") for n in range(100)
        )
        rows = Engagement.objects.bulk_create(
            Engagement(
                client=clients[n % len(clients)],
                name=f"Engagement {n:05d}",
                kind=Engagement.Kind.SUCCESS if n % 3 == 0 else Engagement.Kind.IMPLEMENTATION,
                status=rng.choice(list(Engagement.Status)),
                start_date=today - timedelta(days=rng.randint(0, 700)),
                lead=consultants[n % len(consultants)],
                sold_by=sellers[n % len(sellers)],
            )
            for n in range(engagements)
        )
        Team = Engagement.team.through
        Team.objects.bulk_create(
            Team(engagement_id=e.pk, user_id=consultants[(i + 7) % len(consultants)].pk)
            for i, e in enumerate(rows)
        )

        def at(day: date) -> datetime:
            return timezone.make_aware(datetime.combine(day, datetime.min.time()))

        followups, activities, pains, advice = [], [], [], []
        for i, engagement in enumerate(rows):
            lead = consultants[i % len(consultants)]
            start = engagement.start_date or today
            for k in range(30):
                due = start + timedelta(days=7 * k)
                done = due < today and rng.random() < 0.9
                followups.append(
                    FollowUp(
                        engagement=engagement,
                        title=f"Follow-up {k}",
                        owner=lead,
                        due_on=due,
                        status=FollowUp.Status.DONE if done else FollowUp.Status.OPEN,
                        completed_at=at(due) if done else None,
                        created_by=lead,
                    )
                )
            for k in range(40):
                activities.append(
                    Activity(
                        engagement=engagement,
                        kind=Activity.Kind.NOTE,
                        summary=f"Note {k}",
                        actor=lead,
                        occurred_at=at(start + timedelta(days=5 * k)),
                    )
                )
            for k in range(10):
                found = start + timedelta(days=rng.randint(0, 300))
                resolved = found + timedelta(days=rng.randint(5, 120))
                scaling = k < 2
                pains.append(
                    PainPoint(
                        engagement=engagement,
                        title=f"Pain point {k}",
                        category=PainPoint.Category.SCALING
                        if scaling
                        else PainPoint.Category.OTHER,
                        status=PainPoint.Status.RESOLVED
                        if resolved < today and not scaling
                        else PainPoint.Status.OPEN,
                        identified_on=found,
                        resolved_on=resolved if resolved < today and not scaling else None,
                        identified_by=lead,
                        metric_name="Orders" if scaling else "",
                        current_value=rng.randint(500, 900) if scaling else None,
                        capacity=1000 if scaling else None,
                        monthly_growth_pct=rng.choice([2, 5, 10]) if scaling else None,
                    )
                )
            for k in range(5):
                proposed = start + timedelta(days=10 * k)
                advice.append(
                    Recommendation(
                        engagement=engagement,
                        title=f"Advice {k}",
                        status=Recommendation.Status.ACCEPTED,
                        proposed_on=proposed,
                        decided_on=proposed + timedelta(days=3),
                        created_by=lead,
                    )
                )
        FollowUp.objects.bulk_create(followups, batch_size=5000)
        Activity.objects.bulk_create(activities, batch_size=5000)
        PainPoint.objects.bulk_create(pains, batch_size=5000)
        Recommendation.objects.bulk_create(advice, batch_size=5000)

        packets = HandoffPacket.objects.bulk_create(
            HandoffPacket(
                deal_name=e.name,
                client=e.client,
                status=HandoffPacket.Status.ACCEPTED if i % 10 else HandoffPacket.Status.SUBMITTED,
                filed_by=e.sold_by,
                review_round=1,
                submitted_at=at(e.start_date or today),
                first_submitted_at=at(e.start_date or today),
                decided_at=at((e.start_date or today) + timedelta(days=2)) if i % 10 else None,
                engagement=e if i % 10 else None,
                success_criteria="Measured.",
            )
            for i, e in enumerate(rows)
        )
        items = HandoffItem.objects.bulk_create(
            HandoffItem(packet=p, kind=HandoffItem.Kind.DELIVERABLE, description=f"Item {k}")
            for p in packets
            for k in range(3)
        )
        reviews = HandoffReview.objects.bulk_create(
            HandoffReview(
                packet=p,
                round=1,
                reviewer=leader,
                decision=HandoffReview.Decision.ACCEPT,
                submitted_at=p.submitted_at or timezone.now(),
                **{name: 2 for name, _ in CHECKLIST},
            )
            for p in packets
            if p.status == HandoffPacket.Status.ACCEPTED
        )
        by_packet = {r.packet_id: r for r in reviews}
        HandoffVerdict.objects.bulk_create(
            HandoffVerdict(
                review=by_packet[item.packet_id],
                item=item,
                item_kind=item.kind,
                item_description=item.description,
                verdict=Verdict.IN_SCOPE,
            )
            for item in items
            if item.packet_id in by_packet
        )
        CheckIn.objects.bulk_create(
            CheckIn(
                user=person,
                iso_year=week.year,
                iso_week=week.week,
                energy=rng.randint(2, 5),
                workload=rng.randint(2, 4),
                connection=rng.randint(2, 5),
                boundaries="yes",
            )
            for week in recent_weeks(today=today, count=52)
            for person in consultants
        )
        risk_scans_run(now=timezone.now())
        kpi_snapshots_backfill(days=84, until=today)
    print(f"built {slug} in {time.perf_counter() - started:.0f} s", flush=True)


def pages(slug: str) -> list[tuple[str, str, str]]:
    """(label, who, path) of every page measured."""
    from django_tenants.utils import schema_context

    from engagements.models import Engagement
    from handoffs.models import HandoffPacket
    from psops.accounts.models import User
    from psops.tenancy.models import Organization

    organization = Organization.objects.get(slug=slug)
    with schema_context(organization.schema_name):
        engagement = Engagement.objects.order_by("pk").first()
        packet = HandoffPacket.objects.order_by("pk").first()
        lead = User.objects.get(email=f"c0@{slug}.test")
    if engagement is None or packet is None:
        raise RuntimeError(f"{slug} has no engagement or packet: rebuild it (--rebuild)")
    return [
        ("leader dashboard", "leader", "/"),
        (AFTER_A_WRITE, "leader", "/"),
        ("dashboard, 180 days", "leader", "/?period=180"),
        ("dashboard, one lead, one kind", "leader", f"/?lead={lead.pk}&kind=success"),
        ("engagement list", "leader", "/engagements/"),
        ("engagement page", "leader", engagement.get_absolute_url()),
        ("handoff list", "leader", "/handoffs/"),
        ("handoff packet", "leader", packet.get_absolute_url()),
        ("risks", "leader", "/risks/"),
        ("clients", "leader", "/clients/"),
        ("KPI evidence: scaling walls", "leader", "/kpis/scaling_breaches_90d/evidence/"),
        ("KPI evidence: time to value", "leader", "/kpis/time_to_value/evidence/"),
        ("check-in summary", "leader", "/checkins/summary/"),
        ("consultant home", "c0", "/"),
        ("my follow-ups", "c0", "/followups/mine/"),
        ("notifications (floor)", "c0", "/notifications/"),
    ]


class QueryRecorder:
    """An execute wrapper that keeps the SQL and parameters a request sends."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, Any, bool]] = []

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        self.queries.append((sql, params, many))
        return execute(sql, params, many, context)

    @property
    def count(self) -> int:
        return len(self.queries)


def answered(response: HttpResponseBase, label: str) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{label} answered {response.status_code}")


def write_something(schema_name: str) -> None:
    """One committed write to a table the KPIs read (nothing a page shows changes)."""
    from django.db import connection
    from django.db.models import F
    from django_tenants.utils import schema_context

    from engagements.models import Engagement

    with schema_context(schema_name):
        Engagement.objects.filter(pk=Engagement.objects.order_by("pk").values("pk")[:1]).update(
            name=F("name")
        )
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def raw_sql_ms(schema_name: str, queries: list[tuple[str, Any, bool]], runs: int) -> float:
    """The median time of the request's own SELECTs sent straight to the database (no
    ORM, no templates, no middleware): the floor the page's server time is held to."""
    from django.db import connection

    from psops.audit.context import is_prefixed_write

    selects = [
        (sql, params)
        for sql, params, many in queries
        if sql.lstrip().startswith("SELECT") and not is_prefixed_write(sql)
    ]
    times = []
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path = "{schema_name}", public')
        for _ in range(runs):
            start = time.perf_counter()
            for sql, params in selects:
                cursor.execute(sql, params)
                cursor.fetchall()
            times.append((time.perf_counter() - start) * 1000)
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
    return statistics.median(times)


@dataclass(frozen=True)
class PageResult:
    label: str
    path: str
    median_ms: float
    p90_ms: float
    slowest_ms: float
    queries: int
    sql_ms: float

    @property
    def ratio(self) -> float:
        return self.median_ms / self.sql_ms if self.sql_ms else 0.0


def measure(slug: str, *, runs: int, warmup: int) -> list[PageResult]:
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    from psops.accounts.models import User
    from psops.tenancy.models import Organization

    organization = Organization.objects.get(slug=slug)
    host = organization.get_primary_domain().domain
    browsers = {}
    for who in ("leader", "c0"):
        browser = Client(HTTP_HOST=host)
        with schema_context(organization.schema_name):
            browser.force_login(User.objects.get(email=f"{who}@{slug}.test"))
        browsers[who] = browser
    results = []
    for label, who, path in pages(slug):
        browser = browsers[who]
        for _ in range(warmup):
            answered(browser.get(path), label)
        recorder = QueryRecorder()
        if label == AFTER_A_WRITE:
            write_something(organization.schema_name)
        with connection.execute_wrapper(recorder):
            browser.get(path)
        times = []
        for _ in range(runs):
            if label == AFTER_A_WRITE:
                write_something(organization.schema_name)
            start = time.perf_counter()
            response = browser.get(path)
            times.append((time.perf_counter() - start) * 1000)
            answered(response, label)
        result = PageResult(
            label=label,
            path=path,
            median_ms=statistics.median(times),
            p90_ms=percentile(times, 0.9),
            slowest_ms=max(times),
            queries=recorder.count,
            sql_ms=raw_sql_ms(organization.schema_name, recorder.queries, runs=max(3, runs // 3)),
        )
        results.append(result)
        print(
            f"  {label}: {result.median_ms:.0f} ms ({result.queries} queries, "
            f"{result.sql_ms:.1f} ms of SQL)",
            flush=True,
        )
    return results


def tenant_ensure(engagements: int, *, rebuild: bool = False) -> str:
    """The benchmark tenant of this size, built if missing (or ``rebuild``); its slug."""
    from django.db import connection

    from psops.tenancy.models import Organization

    slug = f"bench-pages-{engagements}"
    existing = Organization.objects.filter(slug=slug).first()
    if existing and rebuild:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{existing.schema_name}" CASCADE')
        existing.domains.all().delete()
        existing.delete(force_drop=False)
        existing = None
    if existing is None:
        build(slug, engagements)
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants' wrapper
    return slug


def table(size: int, results: list[PageResult]) -> str:
    lines = [
        f"{size:,} engagements",
        "| page | median | p90 | queries | SQL alone | ratio |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.label} | {r.median_ms:.0f} ms | {r.p90_ms:.0f} ms | {r.queries} | "
        f"{r.sql_ms:.1f} ms | {r.ratio:.1f}x |"
        for r in results
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--engagements", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)

    environment()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    slug = tenant_ensure(args.engagements, rebuild=args.rebuild)
    results = measure(slug, runs=args.runs, warmup=args.warmup)
    print(f"\n{table(args.engagements, results)}")
    print(f"({args.runs} runs after {args.warmup} warm-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
