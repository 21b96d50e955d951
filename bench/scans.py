"""Risk-scan benchmark: every pass of the scans over many tenants.

Run it with ``.venv/bin/python -m bench.scans [--tenants 200] [--followups 10000]``
(``make bench`` runs it with those; ``make bench-quick`` with 3 x 2,000).

The tenants: ``bench-scans-<followups>-<n>`` in the benchmark database (see
``bench.provisioning``), built once and kept: 11 people, one engagement per 20
follow-ups, a fifth of the follow-ups open and past due (so the first pass raises a
risk, an in-app notification and an owed email for each, and escalates the oldest
to the lead and the leader), the rest done.

Before the passes every risk, notification and owed email of these tenants is
deleted (not timed). Then, one tenant after the other in this process, as the
worker runs them (``risk_scans_run`` in the tenant's schema):

- first: every risk is new; its notifications and emails are written, and the emails
  delivered after commit (Celery eager, the in-memory mail backend), one email per
  person per scan;
- steady: a minute later, nothing changed: nothing may be written;
- refresh: an hour later, every risk's ``last_seen`` is refreshed.

Printed per pass: seconds, risks created / updated / resolved, emails owed, and the
process's peak memory.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

PASSWORD = "bench-scans-2026"  # noqa: S105 - the benchmark tenants' own people


@dataclass(frozen=True)
class PassResult:
    name: str
    seconds: float
    created: int
    updated: int
    resolved: int
    emails: int
    peak_rss_mb: float


def environment() -> None:
    from bench.pages import environment as pages_environment

    pages_environment()
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"


def build(slug: str, followups: int) -> None:
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from engagements.models import Client, Engagement, FollowUp
    from psops.accounts.models import Role, User
    from psops.mail import emails_suppressed
    from psops.tenancy.services import organization_create

    today = timezone.localdate()
    with emails_suppressed():
        organization = organization_create(
            name=slug, slug=slug, admin_email=f"admin@{slug}.test", admin_password=PASSWORD
        ).organization
    with schema_context(organization.schema_name), emails_suppressed():
        leader = User.objects.create_user(
            email=f"leader@{slug}.test", password=PASSWORD, role=Role.LEADER
        )
        people = [
            User.objects.create_user(
                email=f"c{n}@{slug}.test", password=PASSWORD, role=Role.CONSULTANT
            )
            for n in range(10)
        ]
        client = Client.objects.create(name="Client")
        engagements = Engagement.objects.bulk_create(
            Engagement(client=client, name=f"E{n}", lead=people[n % len(people)])
            for n in range(max(1, followups // 20))
        )
        rows = []
        for n in range(followups):
            engagement = engagements[n % len(engagements)]
            overdue = n % 5 == 0
            due = today - timedelta(days=1 + n % 30) if overdue else today - timedelta(days=40)
            rows.append(
                FollowUp(
                    engagement=engagement,
                    title=f"Follow-up {n}",
                    owner=people[n % len(people)],
                    due_on=due,
                    status=FollowUp.Status.OPEN if overdue else FollowUp.Status.DONE,
                    completed_at=None if overdue else timezone.now(),
                    created_by=leader,
                )
            )
        FollowUp.objects.bulk_create(rows, batch_size=5000)


def tenants_ensure(count: int, followups: int) -> list[str]:
    from psops.tenancy.models import Organization

    slugs = [f"bench-scans-{followups}-{n}" for n in range(count)]
    have = set(Organization.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    started = time.perf_counter()
    for slug in slugs:
        if slug not in have:
            build(slug, followups)
    if len(have) < len(slugs):
        print(f"built {len(slugs) - len(have)} tenants in {time.perf_counter() - started:.0f} s")
    return slugs


def reset(schemas: list[str]) -> None:
    from django_tenants.utils import schema_context

    from health.models import Risk
    from psops.accounts.models import Notification
    from psops.outbox.models import OutboundEmail

    for schema in schemas:
        with schema_context(schema):
            Risk.objects.all().delete()
            Notification.objects.all().delete()
            OutboundEmail.objects.all().delete()


def run_pass(name: str, schemas: list[str], now: datetime) -> PassResult:
    from django_tenants.utils import schema_context

    from health.risks.scans import risk_scans_run
    from psops.outbox.models import OutboundEmail

    before = 0
    for schema in schemas:
        with schema_context(schema):
            before += OutboundEmail.objects.count()
    totals = {"created": 0, "updated": 0, "resolved": 0}
    started = time.perf_counter()
    for schema in schemas:
        with schema_context(schema):
            for counts in risk_scans_run(now=now).values():
                for key in totals:
                    totals[key] += counts[key]
    seconds = time.perf_counter() - started
    after = 0
    for schema in schemas:
        with schema_context(schema):
            after += OutboundEmail.objects.count()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = PassResult(name, seconds, emails=after - before, peak_rss_mb=peak, **totals)
    print(
        f"  {name}: {seconds:.1f} s, {result.created} created, {result.updated} updated, "
        f"{result.resolved} resolved, {result.emails} emails, peak {peak:.0f} MB",
        flush=True,
    )
    return result


def measure(*, tenants: int, followups: int) -> list[PassResult]:
    from django.utils import timezone

    from psops.tenancy.models import Organization

    # Not a line per delivered batch of emails (Celery runs eagerly here).
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    slugs = tenants_ensure(tenants, followups)
    schemas = list(
        Organization.objects.filter(slug__in=slugs).values_list("schema_name", flat=True)
    )
    reset(schemas)
    now = timezone.now()
    return [
        run_pass("first", schemas, now),
        run_pass("steady", schemas, now + timedelta(minutes=1)),
        run_pass("refresh", schemas, now + timedelta(minutes=61)),
    ]


def table(tenants: int, followups: int, results: list[PassResult]) -> str:
    lines = [
        f"{tenants} tenants x {followups:,} follow-ups",
        "| pass | time | created | updated | resolved | emails | peak memory |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.name} | {r.seconds:.1f} s | {r.created:,} | {r.updated:,} | {r.resolved:,} | "
        f"{r.emails:,} | {r.peak_rss_mb:.0f} MB |"
        for r in results
    ]
    return "\n".join(lines)


def as_json(results: list[PassResult]) -> list[dict]:
    return [asdict(result) for result in results]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--followups", type=int, default=10_000)
    args = parser.parse_args(argv)

    environment()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    results = measure(tenants=args.tenants, followups=args.followups)
    print(f"\n{table(args.tenants, args.followups, results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
