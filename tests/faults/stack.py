"""Real processes to break: a Redis, a database, a web server, a worker and beat.

``FaultStack`` runs, each in a process of its own, what production runs (gunicorn,
a Celery worker, Celery beat) on a database of its own (``psops_faults_<pid>`` on the
suite's PostgreSQL server, dropped afterwards) and on a Redis server of its own (a
private Unix socket in a temporary folder), so that stopping that Redis or locking
that database touches nothing else: not the suite's, not a developer's ``make run``.

Emails go through ``tests.faults.mail.EmailBackend`` into a folder the tests read.

Run as a module in the stack's environment, this file is also its command line:
``prepare`` migrates and provisions the organization, ``owe <address> <seconds>``
writes one email into the outbox, due in that many seconds, without handing it to
the worker (only a sweep can send it).
"""

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devtools.local_services import redis_binary
from tests.servers import (
    BASE_DIR,
    WORKER_ARGS,
    celery_command,
    free_ports,
    signal_group,
    wait_healthy,
    with_database,
)

SLUG = "acme"
PERSON = "casey@acme.test"
PASSWORD = "fault-tests-2026"
# The outbox is swept this often here (60 s in production), so a test waits seconds.
SWEEP_SECONDS = 2


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


@dataclass
class FaultStack:
    server_url: str  # any database URL of the PostgreSQL server to use
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="psops-faults-")))
    database: str = field(default_factory=lambda: f"psops_faults_{os.getpid()}")
    port: int = field(default_factory=lambda: free_ports(1)[0])
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    # --- Paths and environment ----------------------------------------------------------

    @property
    def redis_socket(self) -> Path:
        return self.folder / "redis.sock"

    @property
    def maildir(self) -> Path:
        return self.folder / "mail"

    @property
    def database_url(self) -> str:
        return with_database(self.server_url, self.database)

    def log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def env(self, **overrides: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": f"redis+socket://{self.redis_socket}",
            "DEBUG": "false",
            "SECRET_KEY": "fault-tests-only-0123456789abcdefghijklmnopqrstuvwxyz",
            "SECURE_COOKIES": "false",
            "PSOPS_BASE_DOMAIN": "localhost",
            "PSOPS_URL_SCHEME": "http",
            "PSOPS_PUBLIC_PORT": str(self.port),
            "ALLOWED_HOSTS": "localhost,.localhost",
            "STATIC_MANIFEST": "false",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_BACKEND": "tests.faults.mail.EmailBackend",
            "FAULTS_MAILDIR": str(self.maildir),
            "FAULTS_SEND_SECONDS": "0",
            "OUTBOX_SWEEP_SECONDS": str(SWEEP_SECONDS),
            **overrides,
        }

    # --- Redis ----------------------------------------------------------------------------

    def redis_start(self) -> None:
        (self.folder / "redis").mkdir(exist_ok=True)
        self._spawn(
            "redis",
            [
                redis_binary("redis-server"),
                "--port",
                "0",
                "--unixsocket",
                str(self.redis_socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.folder / "redis"),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--maxmemory-policy",
                "noeviction",
            ],
            env=os.environ.copy(),
        )
        wait_for(self.redis_ping, timeout=10, what="Redis answers")

    def redis_ping(self) -> bool:
        import redis

        try:
            return bool(
                redis.Redis(unix_socket_path=str(self.redis_socket), socket_timeout=1).ping()
            )
        except redis.RedisError:
            return False

    def redis_crash_and_forget(self) -> None:
        """Redis dies (SIGKILL) and its data with it: the worst a broker can do."""
        self.kill("redis")
        for path in (self.folder / "redis").rglob("*"):
            if path.is_file():
                path.unlink()
        self.redis_socket.unlink(missing_ok=True)

    def beat_last_tick(self) -> float | None:
        import redis

        from psops.tenancy.scheduler import BEAT_TICK_KEY

        value = redis.Redis(unix_socket_path=str(self.redis_socket)).get(BEAT_TICK_KEY)
        return float(value) if value else None

    # --- Database -------------------------------------------------------------------------

    def _admin_connection(self):
        import psycopg

        return psycopg.connect(with_database(self.server_url, "postgres"), autocommit=True)

    def database_create(self) -> None:
        with self._admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.database}"')
        self.manage("prepare", timeout=600)

    def database_drop(self) -> None:
        with self._admin_connection() as conn:
            conn.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS true')
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    @contextlib.contextmanager
    def database_down(self) -> "contextlib.AbstractContextManager[None]":
        """The database refuses every connection and drops those it had, as a restart
        does, until the block ends."""
        with self._admin_connection() as conn:
            conn.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS false')
            try:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.database],
                )
                yield
            finally:
                conn.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS true')

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        """A query in the organization's schema, on a connection of the test's own."""
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{SLUG}"')
            cursor = conn.execute(query, params or [])
            return cursor.fetchall() if cursor.description else []

    def manage(self, *args: str, timeout: int = 120) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.stack", *args],
            cwd=BASE_DIR,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout.strip()

    # --- Processes ------------------------------------------------------------------------

    def web_start(self) -> None:
        self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "1",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{self.port}",
                "config.wsgi",
            ],
        )
        wait_healthy(self.port, {"web": self.processes["web"]}, {"web": self.log("web")})

    def worker_start(self, **env: str) -> None:
        self._spawn(
            "worker", celery_command(*WORKER_ARGS, "--loglevel", "INFO"), env=self.env(**env)
        )

    def beat_start(self) -> None:
        self._spawn(
            "beat",
            celery_command(
                "beat", "--loglevel", "INFO", "--schedule", str(self.folder / "beat-schedule")
            ),
        )

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        with self.log(name).open("a") as log:
            self.processes[name] = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=env or self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self, name: str) -> bool:
        return name in self.processes and self.processes[name].poll() is None

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        signal_group(process.pid, signal.SIGKILL)
        process.wait()

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

    # --- Mail -----------------------------------------------------------------------------

    def delivered(self, recipient: str) -> list[str]:
        """The messages delivered to ``recipient`` so far."""
        if not self.maildir.exists():
            return []
        messages = [path.read_text() for path in sorted(self.maildir.glob("*.eml"))]
        return [message for message in messages if f"To: {recipient}" in message]

    def sends_begun(self) -> list[Path]:
        return sorted(self.maildir.glob("*.sending")) if self.maildir.exists() else []


# --- Command line (in the stack's environment) -----------------------------------------


def _prepare() -> None:
    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from psops.accounts.models import Role, User
    from psops.tenancy.services import organization_create

    call_command("migrate", interactive=False, verbosity=0)
    organization_create(
        name="Acme Corp",
        slug=SLUG,
        admin_email="admin@acme.test",
        admin_password=PASSWORD,
        admin_full_name="Ada Admin",
    )
    with schema_context(SLUG):
        User.objects.create_user(
            email=PERSON, password=PASSWORD, full_name="Casey Consultant", role=Role.CONSULTANT
        )


def _owe(address: str, seconds: str) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from psops.outbox.models import OutboundEmail

    now = timezone.now()
    with schema_context(SLUG):
        email = OutboundEmail.objects.create(
            to=[address],
            subject=f"Owed to {address}",
            body="An email that was due.",
            from_email="PS Ops <no-reply@psops.localhost>",
            created_at=now,
            next_attempt_at=now + timedelta(seconds=float(seconds)),
        )
    print(email.pk)


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command, *args = argv
    if command == "prepare":
        _prepare()
    elif command == "owe":
        _owe(*args)
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
