"""Risk-scan benchmark: every pass of the scans over many tenants.

Run it with ``.venv/bin/python -m bench.scans [--tenants 200] [--followups 10000]``
(``make bench`` runs it with those; ``make bench-quick`` with 3 x 2,000).

The tenants: ``bench-scans-<followups>-25-<n>`` in the benchmark database (see
``bench.provisioning``), built once and kept: 11 people, one engagement per 20
follow-ups, one follow-up in 25 open and past due (so the first pass raises a risk, an in-app
notification and an owed email for each, and escalates the older ones to the lead
and the leader), the rest done.

Before the passes every risk, notification and owed email of these tenants is
deleted (not timed). Then each pass runs through a real Celery worker (``celery -A
config worker --concurrency 2``, as deployed, on the same Redis broker): the
benchmark sends ``health.tasks_risks.run_risk_scans`` once per tenant with the
tenant's schema header, exactly as beat's ``TenantScheduler`` fans an entry out, and
the pass ends when every scan has finished and every email it owed has been
delivered (the worker's in-memory mail backend). ``--in-process`` runs the same
scans one tenant after the other in this process instead (Celery eager).

- first: every risk is new; its notifications and emails are written, and the emails
  delivered after commit, one email per person per scan;
- steady: a minute later, nothing changed: nothing may be written;
- refresh: an hour later, every risk's ``last_seen`` is refreshed.

Printed per pass: seconds, risks created / updated / resolved, emails owed, and the
peak resident memory of the largest worker process (or of this process).
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

# One follow-up in 25 is open and past due: 400 of 10,000, each a risk and one to
# three notifications (owner; lead and leader once escalated), about 1,000 a tenant.
OVERDUE_EVERY = 25


@dataclass(frozen=True)
class PassResult:
    name: str
    seconds: float
    created: int
    updated: int
    resolved: int
    emails: int
    peak_rss_mb: float
    peak_backend_mb: float = 0.0  # largest PostgreSQL backend's private memory


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
            name=slug, slug=slug, admin_email=f"admin@{slug}.test"
        ).organization
    with schema_context(organization.schema_name), emails_suppressed():
        # Nobody signs in here: no password to hash (Argon2 would cost most of a build).
        leader = User.objects.create_user(email=f"leader@{slug}.test", role=Role.LEADER)
        people = [
            User.objects.create_user(email=f"c{n}@{slug}.test", role=Role.CONSULTANT)
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
            overdue = n % OVERDUE_EVERY == 0
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
    from django.db import connection

    from psops.tenancy.models import Organization

    slugs = [f"bench-scans-{followups}-{OVERDUE_EVERY}-{n}" for n in range(count)]
    have = set(Organization.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    started = time.perf_counter()
    for slug in slugs:
        if slug not in have:
            build(slug, followups)
            # A backend that cloned a schema keeps its catalog in memory; a fresh one
            # per tenant keeps the 200th as quick to build as the first.
            connection.close()
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


def _outbox_counts(schemas: list[str]) -> tuple[int, int]:
    """(emails owed in all, of them not sent yet) across ``schemas``."""
    from django_tenants.utils import schema_context

    from psops.outbox.models import OutboundEmail

    owed = unsent = 0
    for schema in schemas:
        with schema_context(schema):
            owed += OutboundEmail.objects.count()
            unsent += OutboundEmail.objects.filter(sent_at__isnull=True).count()
    return owed, unsent


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def backends_peak_mb() -> float:
    """The largest private memory (RssAnon: not the shared buffers every backend
    maps) of the PostgreSQL backends serving this database, when they are on this
    machine and readable; 0 otherwise."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend'"
        )
        pids = [row[0] for row in cursor.fetchall()]
    return max((_rss_mb(pid, "RssAnon") for pid in pids), default=0.0)


def _process_tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                queue += [int(child) for child in children.read().split()]
        except OSError:
            pass
    return pids


class Worker:
    """A real Celery worker (prefork, 2 processes) on the benchmark's database and broker."""

    def __init__(self) -> None:
        env = os.environ | {"CELERY_TASK_ALWAYS_EAGER": "false"}
        from devtools.run_local import celery_command

        self.process = subprocess.Popen(
            celery_command(
                "worker",
                "--concurrency",
                "2",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ),
            env=env,
            start_new_session=True,
        )
        self.peak_mb = self.backend_peak_mb = 0.0
        self.samples = 0
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Until the worker answers a ping, so that its start-up is not timed."""
        from config.celery import app

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the Celery worker exited on start")
            if app.control.ping(timeout=1):
                return
        raise RuntimeError("the Celery worker did not answer within 90 s")

    def sample(self) -> None:
        for pid in _process_tree(self.process.pid):
            self.peak_mb = max(self.peak_mb, _rss_mb(pid))
        self.samples += 1
        if self.samples % 20 == 0:  # about once a second
            self.backend_peak_mb = max(self.backend_peak_mb, backends_peak_mb())

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def _through_worker(worker: Worker, schemas: list[str], now: datetime) -> dict[str, int]:
    from config.celery import app

    results = [
        app.send_task(
            "health.tasks_risks.run_risk_scans",
            headers={"_schema_name": schema},
            ignore_result=False,
            kwargs={},
        )
        for schema in schemas
    ]
    totals = {"created": 0, "updated": 0, "resolved": 0}
    for result in results:
        while not result.ready():
            worker.sample()
            time.sleep(0.05)
        for counts in result.get(propagate=True).values():
            for key in totals:
                totals[key] += counts[key]
    while _outbox_counts(schemas)[1]:
        worker.sample()
        time.sleep(0.1)
    return totals


def _in_process(schemas: list[str], now: datetime) -> dict[str, int]:
    from django_tenants.utils import schema_context

    from health.risks.scans import risk_scans_run

    totals = {"created": 0, "updated": 0, "resolved": 0}
    for schema in schemas:
        with schema_context(schema):
            for counts in risk_scans_run(now=now).values():
                for key in totals:
                    totals[key] += counts[key]
    return totals


def run_pass(name: str, schemas: list[str], now: datetime, worker: Worker | None) -> PassResult:
    """One pass; through ``worker`` the scans take the worker's clock, so ``now`` only
    says how far apart the passes are meant to be (the benchmark waits for it)."""
    before, _ = _outbox_counts(schemas)
    started = time.perf_counter()
    if worker is None:
        totals = _in_process(schemas, now)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    else:
        totals = _through_worker(worker, schemas, now)
        peak = worker.peak_mb
    seconds = time.perf_counter() - started
    backend = max(backends_peak_mb(), worker.backend_peak_mb if worker else 0.0)
    after, _ = _outbox_counts(schemas)
    result = PassResult(
        name, seconds, emails=after - before, peak_rss_mb=peak, peak_backend_mb=backend, **totals
    )
    print(
        f"  {name}: {seconds:.1f} s, {result.created} created, {result.updated} updated, "
        f"{result.resolved} resolved, {result.emails} emails, peak {peak:.0f} MB, "
        f"largest backend {backend:.0f} MB",
        flush=True,
    )
    return result


def _age_risks(schemas: list[str], by: timedelta) -> None:
    """Make every risk look ``by`` older, as if that much time had passed (the worker
    scans with its own clock, so the refresh pass needs last_seen an hour back)."""
    from django.db.models import F
    from django_tenants.utils import schema_context

    from health.models import Risk

    for schema in schemas:
        with schema_context(schema):
            Risk.objects.update(last_seen=F("last_seen") - by, first_seen=F("first_seen") - by)


def measure(*, tenants: int, followups: int, in_process: bool = False) -> list[PassResult]:
    from django.utils import timezone

    from psops.tenancy.models import Organization

    # Not a line per delivered batch of emails (Celery runs eagerly here).
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    slugs = tenants_ensure(tenants, followups)
    schemas = list(
        Organization.objects.filter(slug__in=slugs).values_list("schema_name", flat=True)
    )
    reset(schemas)
    worker = None if in_process else Worker()
    try:
        now = timezone.now()
        first = run_pass("first", schemas, now, worker)
        _age_risks(schemas, timedelta(minutes=1))
        steady = run_pass("steady", schemas, now + timedelta(minutes=1), worker)
        _age_risks(schemas, timedelta(minutes=61))
        refresh = run_pass("refresh", schemas, now + timedelta(minutes=62), worker)
    finally:
        if worker is not None:
            worker.stop()
    return [first, steady, refresh]


def table(tenants: int, followups: int, results: list[PassResult]) -> str:
    lines = [
        f"{tenants} tenants x {followups:,} follow-ups",
        "| pass | time | created | updated | resolved | emails | peak memory | largest backend |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.name} | {r.seconds:.1f} s | {r.created:,} | {r.updated:,} | {r.resolved:,} | "
        f"{r.emails:,} | {r.peak_rss_mb:.0f} MB | {r.peak_backend_mb:.0f} MB |"
        for r in results
    ]
    return "\n".join(lines)


def as_json(results: list[PassResult]) -> list[dict]:
    return [asdict(result) for result in results]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--followups", type=int, default=10_000)
    parser.add_argument("--in-process", action="store_true", help="no worker: one process")
    args = parser.parse_args(argv)

    environment()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    results = measure(tenants=args.tenants, followups=args.followups, in_process=args.in_process)
    print(f"\n{table(args.tenants, args.followups, results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
