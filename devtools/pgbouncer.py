"""Run a command with PgBouncer (session pooling) between it and the embedded PostgreSQL.

    .venv/bin/python -m devtools.pgbouncer [--database NAME] -- COMMAND [ARGS...]

It starts Debian's ``pgbouncer`` (``apt-get install pgbouncer``) on a free loopback
port with the settings the README gives for production (``pool_mode = session``:
django-tenants sets ``search_path`` once per connection, which transaction pooling
would hand to another client), points ``DATABASE_URL`` at it (database ``NAME``,
default the development one), runs the command, stops PgBouncer and exits with the
command's status. Every database name passes through to the same server, so a test
run's ``test_*`` database works too. It also prints PgBouncer's own pool counters at
the end, proof that the connections went through it.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from devtools import local_services

SETTINGS = {
    "pool_mode": "session",
    # Room for the web workers' threads, the Celery processes and beat, per database.
    "default_pool_size": "40",
    "max_client_conn": "400",
    # Session pooling resets a server connection before the next client gets it.
    "server_reset_query": "DISCARD ALL",
    "server_reset_query_always": "0",
    # psycopg sends these at start-up; PgBouncer must not refuse them.
    "ignore_startup_parameters": "extra_float_digits,options",
    "server_lifetime": "3600",
    "server_idle_timeout": "600",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def config(*, upstream: urllib.parse.ParseResult, port: int, directory: Path) -> str:
    settings = SETTINGS | {
        "listen_addr": "127.0.0.1",
        "listen_port": str(port),
        "auth_type": "trust",
        "auth_file": str(directory / "users.txt"),
        "unix_socket_dir": "",
        "logfile": str(directory / "pgbouncer.log"),
        "pidfile": str(directory / "pgbouncer.pid"),
        "admin_users": upstream.username or "postgres",
        "stats_users": upstream.username or "postgres",
    }
    # The embedded server listens on a Unix socket: ``postgresql://user:@/db?host=/dir``.
    host = urllib.parse.parse_qs(upstream.query).get("host", [upstream.hostname or "127.0.0.1"])[0]
    lines = ["[databases]", f"* = host={host} port={upstream.port or 5432}", "", "[pgbouncer]"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", default=local_services.DATABASE_NAME)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        print("PgBouncer is not installed (Debian: apt-get install pgbouncer).", file=sys.stderr)
        return 2

    upstream = urllib.parse.urlparse(local_services.postgres_url(args.database))
    local_services.servers_ensure()
    port = _free_port()
    directory = Path(tempfile.mkdtemp(prefix="psops-pgbouncer-"))
    user = upstream.username or "postgres"
    (directory / "users.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        config(upstream=upstream, port=port, directory=directory)
    )
    run_as: list[str] = []
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        owner = "embedded_postgres"
        record = pwd.getpwnam(owner)
        os.chown(directory, record.pw_uid, record.pw_gid)
        for path in directory.iterdir():
            os.chown(path, record.pw_uid, record.pw_gid)
        run_as = ["-u", owner]
    bouncer = subprocess.Popen([binary, "-q", *run_as, str(directory / "pgbouncer.ini")])
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or bouncer.poll() is not None:
                    print((directory / "pgbouncer.log").read_text(), file=sys.stderr)
                    raise RuntimeError("PgBouncer did not start") from None
                time.sleep(0.1)
        url = f"postgres://{user}@127.0.0.1:{port}/{args.database}"
        print(f"PgBouncer (session pooling) on 127.0.0.1:{port} -> {upstream.geturl()}", flush=True)
        env = os.environ | {"DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "0"}
        status = subprocess.call(command, env=env)
        stats = subprocess.run(
            [
                shutil.which("psql") or "psql",
                f"postgres://{user}@127.0.0.1:{port}/pgbouncer",
                "-c",
                "SHOW STATS_TOTALS",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        print(stats.stdout or stats.stderr, flush=True)
        return status
    finally:
        bouncer.send_signal(signal.SIGINT)
        try:
            bouncer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            bouncer.kill()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
