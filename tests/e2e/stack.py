"""The app as the browser journeys see it: real processes on their own database.

``Stack`` runs what production runs, each in its own process: gunicorn serving
``config.wsgi``, a Celery worker, and a second gunicorn whose clock stands just
after the end of the current ISO week ("a week later", for results that only
closed weeks show). They share a database and a Redis database of their own
(``psops_e2e`` and Redis database 2 by default), rebuilt at every run, on the
same servers as the rest of the suite: the developer's data and any running
``make run`` are never touched.

Run as a module inside that environment, this file is also the suite's
command line for what a browser cannot do: ``prepare`` builds the organizations
and people, ``scan <slug>`` sends the risk scans to the worker the way beat does.
"""

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from psops.redis_urls import redis_client_url, redis_url_with_database
from tests.servers import (
    WORKER_ARGS,
    celery_command,
    free_ports,
    signal_group,
    wait_healthy,
    with_database,
)

BASE_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = BASE_DIR / "artifacts" / "e2e"
PASSWORD = "journey-pass-2026"

# (slug, name, email domain) and the people of each organization: (local part, name, role).
ORGANIZATIONS = [("acme", "Acme Corp", "acme.test"), ("globex", "Globex", "globex.test")]
PEOPLE = [
    ("leader", "Lena Leader", "leader"),
    ("sales", "Sam Sales", "sales"),
    ("consultant", "Casey Consultant", "consultant"),
    ("mia", "Mia Mendez", "consultant"),
    ("noah", "Noah Novak", "consultant"),
    # A second leader who manages no one: the check-in summary leaves out only her.
    ("olga", "Olga Ortiz", "leader"),
]
# Who answers the pulse in the journey; the anonymity minimum is set to their number.
PULSE_TEAM = ["consultant", "mia", "noah"]
GLOBEX_CLIENT = "Globex Freight"
# Acme's work from before the story, so that the ids of what the journeys create
# in acme are ids that globex does not have.
ACME_CLIENT, ACME_ENGAGEMENTS = "Contoso", ["Contoso CRM migration", "Contoso data health check"]
# Processes of a run that died without stopping them (killed before stack.stop()).
PIDFILE = ARTIFACTS.parent / "e2e-stack.pids"


def start_of_next_week(now: datetime) -> datetime:
    """Monday 00:00 UTC after ``now``: where the journeys' ISO week ends in UTC."""
    now = now.astimezone(UTC)
    monday = now + timedelta(days=7 - now.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def _redis_database(url: str) -> int:
    match = re.search(r"[?&]virtual_host=(\d+)", url) or re.search(r"//[^/?]*/(\d+)", url)
    return int(match[1]) if match else 0


@dataclass
class Stack:
    database_url: str
    redis_url: str
    port: int = 0
    later_port: int = 0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self):
        if not (self.port and self.later_port):
            self.port, self.later_port = free_ports(2)

    @classmethod
    def on_servers_of(cls, *, database_url: str, redis_url: str) -> "Stack":
        """The stack's own database and Redis database on the servers of these URLs."""
        database = os.environ.get("PSOPS_E2E_DATABASE", "psops_e2e")
        redis_db = int(os.environ.get("PSOPS_E2E_REDIS_DB", "2"))
        # Both are dropped at every run: never the ones the app itself uses.
        if database == urlsplit(database_url).path.lstrip("/"):
            raise ValueError(f"PSOPS_E2E_DATABASE must not be the app's database {database!r}")
        if redis_db == _redis_database(redis_url):
            raise ValueError(f"PSOPS_E2E_REDIS_DB must not be the app's Redis database {redis_db}")
        return cls(
            database_url=with_database(database_url, database),
            redis_url=redis_url_with_database(redis_url, redis_db),
        )

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "DEBUG": "false",
            "SECRET_KEY": "browser-journeys-only",
            "SECURE_COOKIES": "false",
            "PSOPS_PUBLIC_PORT": str(self.port),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            # What a developer's .env might say otherwise (the environment wins over it).
            "PSOPS_BASE_DOMAIN": "localhost",
            "PSOPS_URL_SCHEME": "http",
            "ALLOWED_HOSTS": "localhost,.localhost",
            "STATIC_MANIFEST": "false",
            "SESSION_COOKIE_AGE": str(60 * 60 * 24 * 14),
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        }

    def url(self, slug: str, path: str = "/", *, later: bool = False) -> str:
        return f"http://{slug}.localhost:{self.later_port if later else self.port}{path}"

    # --- Lifecycle ---------------------------------------------------------------------

    def reset(self) -> None:
        """An empty database and Redis database, then migrations and the journeys' people."""
        import psycopg
        import redis

        _stop_leftovers()
        name = urlsplit(self.database_url).path.lstrip("/")
        admin_url = with_database(self.database_url, "postgres")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        redis.Redis.from_url(redis_client_url(self.redis_url)).flushdb()
        self.manage("prepare")

    def manage(self, *args: str, timeout: int = 300) -> str:
        """Run this module's command line in the stack's environment."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.e2e.stack", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"stack {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "8"]
        self._spawn("web", [*gunicorn, "--bind", f"127.0.0.1:{self.port}", "config.wsgi"])
        self._spawn(
            "web-later",
            [*gunicorn, "--bind", f"127.0.0.1:{self.later_port}", "tests.e2e.later_wsgi"],
        )
        self._spawn("worker", celery_command(*WORKER_ARGS, "--loglevel", "INFO"))
        PIDFILE.write_text("\n".join(str(p.pid) for p in self.processes.values()))
        logs = {name: ARTIFACTS / f"{name}.log" for name in self.processes}
        for port in (self.port, self.later_port):
            wait_healthy(port, self.processes, logs)

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (ARTIFACTS / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, stopped as one
        )

    def stop(self) -> None:
        for process in self.processes.values():
            signal_group(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                signal_group(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        PIDFILE.unlink(missing_ok=True)


def _stop_leftovers() -> None:
    """Stop the processes of an earlier run that was killed before it could stop them.

    Left running, its worker would take this run's tasks from the shared Redis database.
    """
    if not PIDFILE.exists():
        return
    for pid in (int(line) for line in PIDFILE.read_text().split()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"gunicorn" in command or b"celery" in command:  # not a reused pid
            signal_group(pid, signal.SIGKILL)
    PIDFILE.unlink()


# --- Command line, run inside the stack's environment -------------------------------------


def _prepare() -> None:
    from django.core.management import call_command
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from engagements.models import Client, Engagement
    from engagements.services import engagement_create
    from health.groups import SINCE_ALWAYS, memberships_since_always
    from health.models import AnonymityMinimum
    from psops.accounts.models import OrganizationSettings, User
    from psops.tenancy.services import organization_create

    call_command("migrate", interactive=False, verbosity=0)
    for slug, name, domain in ORGANIZATIONS:
        admin = organization_create(
            name=name,
            slug=slug,
            admin_email=f"admin@{domain}",
            admin_password=PASSWORD,
            admin_full_name="Ada Admin",
        ).admin
        with schema_context(slug):
            people = {}
            for local_part, full_name, role in PEOPLE:
                people[local_part] = User.objects.create_user(
                    email=f"{local_part}@{domain}",
                    password=PASSWORD,
                    full_name=full_name,
                    role=role,
                    team="Delivery" if role == "consultant" else "",
                )
            leader = people["leader"]
            for local_part in ("sales", *PULSE_TEAM):
                people[local_part].manager = leader
                people[local_part].manager_since = timezone.now()
                people[local_part].save(update_fields=["manager", "manager_since"])
            settings = OrganizationSettings.current()
            settings.pulse_minimum_group = len(PULSE_TEAM)
            settings.save()
            # The team has been here all along: everyone counts toward the pulse's groups
            # and the minimum is in force since always, not from next week (health.groups).
            User.objects.update(date_joined=timezone.now() - timedelta(days=365))
            memberships_since_always(User.objects.all())
            AnonymityMinimum.objects.create(
                value=len(PULSE_TEAM),
                from_year=SINCE_ALWAYS.year,
                from_week=SINCE_ALWAYS.week,
                recorded_at=timezone.now(),
            )
            if slug == "acme":
                client = Client.objects.create(name=ACME_CLIENT, industry="Software")
                for name in ACME_ENGAGEMENTS:
                    engagement_create(by=admin, client=client, name=name, lead=leader)
            if slug == "globex":
                client = Client.objects.create(name=GLOBEX_CLIENT, industry="Logistics")
                engagement_create(
                    by=admin,
                    client=client,
                    name="Globex Freight onboarding",
                    kind=Engagement.Kind.IMPLEMENTATION,
                    lead=people["consultant"],
                )


def _scan(slug: str) -> None:
    from django_tenants.utils import schema_context

    from health.risks.tasks import run_risk_scans

    with schema_context(slug):
        # Sent to the worker over the broker, as beat sends it, and waited for.
        result = run_risk_scans.apply_async(ignore_result=False)
    print(result.get(timeout=120))


def _many(slug: str, email: str) -> None:
    """Enough of ``email``'s engagements and resolved pain points that their lists
    come in pages: 12 engagements (ten a page), 60 resolved pain points (50 a page)."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from engagements.models import Client, Engagement, PainPoint
    from psops.accounts.models import User

    today = timezone.localdate()
    with schema_context(slug):
        person = User.objects.get(email=email)
        client = Client.objects.create(name="Contoso Phone Co")
        for index in range(12):
            engagement = Engagement.objects.create(
                client=client, name=f"Phone rollout {index:02d}", lead=person
            )
            PainPoint.objects.bulk_create(
                PainPoint(
                    engagement=engagement,
                    title=f"Slow screen {index}-{n}",
                    status=PainPoint.Status.RESOLVED,
                    identified_on=today - timedelta(days=20 + n),
                    resolved_on=today - timedelta(days=n),
                    resolution="Fixed.",
                )
                for n in range(5)
            )


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command, *args = argv
    if command == "prepare":
        _prepare()
    elif command == "scan":
        _scan(*args)
    elif command == "many":
        _many(*args)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
