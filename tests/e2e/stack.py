"""The app as the browser journeys see it: real processes on their own database.

``Stack`` runs what production runs, each in its own process: gunicorn serving
``psops.wsgi``, a Celery worker, and a second gunicorn whose clock stands just
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
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from psops.redis_urls import redis_client_url, redis_url_with_database

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
]
# Who answers the pulse in the journey; the anonymity minimum is set to their number.
PULSE_TEAM = ["consultant", "mia", "noah"]
GLOBEX_CLIENT = "Globex Freight"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Stack:
    database_url: str
    redis_url: str
    port: int = field(default_factory=free_port)
    later_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @classmethod
    def on_servers_of(cls, *, database_url: str, redis_url: str) -> "Stack":
        database = os.environ.get("PSOPS_E2E_DATABASE", "psops_e2e")
        redis_db = int(os.environ.get("PSOPS_E2E_REDIS_DB", "2"))
        return cls(
            database_url=_with_database(database_url, database),
            redis_url=redis_url_with_database(redis_url, redis_db),
        )

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "psops.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "DEBUG": "false",
            "SECRET_KEY": "browser-journeys-only",
            "SECURE_COOKIES": "false",
            "PSOPS_PUBLIC_PORT": str(self.port),
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }

    def url(self, slug: str, path: str = "/", *, later: bool = False) -> str:
        return f"http://{slug}.localhost:{self.later_port if later else self.port}{path}"

    # --- Lifecycle ---------------------------------------------------------------------

    def reset(self) -> None:
        """An empty database and Redis database, then migrations and the journeys' people."""
        import psycopg
        import redis

        name = urlsplit(self.database_url).path.lstrip("/")
        admin_url = _with_database(self.database_url, "postgres")
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
        self._spawn("web", [*gunicorn, "--bind", f"127.0.0.1:{self.port}", "psops.wsgi"])
        self._spawn(
            "web-later",
            [*gunicorn, "--bind", f"127.0.0.1:{self.later_port}", "tests.e2e.later_wsgi"],
        )
        self._spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "psops",
                "worker",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
        )
        for port in (self.port, self.later_port):
            self._wait_healthy(port)

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (ARTIFACTS / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def _wait_healthy(self, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    log = (ARTIFACTS / f"{name}.log").read_text()
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the server on port {port} did not become healthy")

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


# --- Command line, run inside the stack's environment -------------------------------------


def _prepare() -> None:
    from django.core.management import call_command
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from engagements.models import Client, Engagement
    from engagements.services import engagement_create
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

    from health.tasks_risks import run_risk_scans

    with schema_context(slug):
        # Sent to the worker over the broker, as beat sends it, and waited for.
        result = run_risk_scans.delay()
    print(result.get(timeout=120))


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command, *args = argv
    if command == "prepare":
        _prepare()
    elif command == "scan":
        _scan(*args)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
