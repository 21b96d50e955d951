"""What tests that start real server processes (web, worker) share."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]


def database_url(**params: str) -> str:
    """The URL of the test database, so another process reads what a test committed.

    ``params`` become query parameters (connection options such as ``application_name``).
    """
    db = connection.settings_dict
    credentials = f"{db['USER']}:{db['PASSWORD'] or ''}"
    if db["HOST"].startswith("/"):  # Unix socket of the embedded server
        params = {"host": db["HOST"], **params}
        address = f"/{db['NAME']}"
    else:
        address = f"{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    query = "&".join(f"{key}={quote(value, safe='')}" for key, value in params.items())
    return f"postgresql://{credentials}@{address}" + (f"?{query}" if query else "")


def with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead (urlunsplit would drop an empty host's //)."""
    base, question, query = url.partition("?")
    scheme, _, rest = base.partition("://")
    server = rest.split("/", 1)[0]
    return f"{scheme}://{server}/{name}{question}{query}"


def celery_command(*args: str) -> list[str]:
    """``celery -A config <args>``, with this interpreter."""
    return [sys.executable, "-m", "celery", "-A", "config", *args]


WORKER_ARGS = ("worker", "--pool", "solo", "--without-gossip", "--without-mingle")


def free_ports(count: int) -> list[int]:
    """Ports free right now, all different (held open together while probing)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def signal_group(pid: int, signum: int) -> None:
    """Signal a process started with ``start_new_session`` and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def wait_healthy(port: int, processes: dict[str, subprocess.Popen], logs: dict[str, Path]) -> None:
    """Wait until ``/healthz`` on ``port`` answers; fail with the log of a process that died."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                log = logs[name].read_text()
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server on port {port} did not become healthy")


@contextlib.contextmanager
def web_server_running(
    command: list[str], *, port: int, env: dict[str, str], log: Path | None = None
) -> Iterator[str]:
    """Run a web server (``command`` binds ``port``) until the block ends; yields its base URL.

    The server runs in a process group of its own, stopped as one, and its output goes
    to ``log`` (a temporary file unless given), quoted when it fails to start.
    """
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "web.log"
        output = stack.enter_context(log.open("w"))
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_healthy(port, {"web": process}, {"web": log})
            yield f"http://127.0.0.1:{port}"
        finally:
            signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                signal_group(process.pid, signal.SIGKILL)
                process.wait()
