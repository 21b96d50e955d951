"""`make run`: the whole app on one machine, with demo data.

Starts (or reuses) the embedded PostgreSQL and Redis unless DATABASE_URL /
REDIS_URL are set, migrates, seeds the demo organizations, then runs the web
server, a Celery worker and Celery beat side by side. Ctrl-C stops every process
it started, including embedded servers it had to start itself.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


# gunicorn, not runserver: runserver starts a thread per request and each thread keeps
# its database connection for CONN_MAX_AGE, so a few hundred quick requests exhaust
# PostgreSQL's connections and starve the worker and beat. Here at most
# WEB_WORKERS x WEB_THREADS connections serve the web.
WEB_WORKERS = 2
WEB_THREADS = 4


def celery_command(*args: str) -> list[str]:
    """``celery -A config <args>`` with this interpreter (the worker, beat)."""
    return [PYTHON, "-m", "celery", "-A", "config", *args]


def web_command(port: str, *, bind: str = "0.0.0.0", reload: bool = True) -> list[str]:  # noqa: S104
    """The web server of ``make run``: gunicorn with threads, reloading on code changes."""
    return [
        PYTHON,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"{bind}:{port}",
        "--workers",
        str(WEB_WORKERS),
        "--threads",
        str(WEB_THREADS),
        *(["--reload", "--access-logfile", "-"] if reload else []),
        "--graceful-timeout",
        "5",
    ]


def _banner(port: str) -> str:
    import django

    django.setup()
    from psops.demo import DEMO_ORGANIZATIONS, DEMO_PASSWORD, DEMO_PEOPLE

    lines = ["", "PS Ops is running. Stop everything with Ctrl-C.", ""]
    for slug, name, _email_domain in DEMO_ORGANIZATIONS:
        lines.append(f"  {name:<10} http://{slug}.localhost:{port}/")
    lines.append(f"  Public     http://localhost:{port}/")
    lines.append("")
    people = ", ".join(f"{local}@" for local, _, _ in DEMO_PEOPLE)
    domains = " / ".join(domain for _, _, domain in DEMO_ORGANIZATIONS)
    lines.append(f"  Sign in as {people} at {domains}, password {DEMO_PASSWORD}")
    lines.append("  Emails (invitations, password resets) are printed by the worker below.")
    lines.append("")
    return "\n".join(lines)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM when the parent exits (make killed, a terminal closed).

    Without it, ``kill <make's pid>`` would leave this runner, and so every server,
    running with no one to stop them. Elsewhere it does nothing.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_setup() -> None:
    """In each server process, before it starts: default signal handling, die with us.

    A shell starts background jobs with SIGINT ignored, and an ignored signal stays
    ignored across exec; the servers must still stop when told to.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    _die_with_parent()


def _make_was_interrupted(parent: int) -> bool:
    """True once ``make run`` (our parent) got a SIGINT meant for everything.

    GNU make passes SIGTERM on to its children but handles SIGINT by waiting for them
    (it assumes a terminal sent the signal to the whole group), so ``kill -INT
    <make's pid>`` would wait forever. While make runs that handler, SIGINT is
    blocked in it, which Linux shows in /proc. Anywhere else this is always False.
    """
    proc = Path("/proc") / str(parent)
    try:
        if (proc / "comm").read_text().strip() not in ("make", "gmake"):
            return False
        status = (proc / "status").read_text()
    except OSError:
        return False
    blocked = next(
        (line.split()[1] for line in status.splitlines() if line.startswith("SigBlk:")), "0"
    )
    return bool(int(blocked, 16) & (1 << (signal.SIGINT - 1)))


def _stop_requested(signum: int, _frame: object) -> None:
    """SIGINT, SIGTERM and SIGHUP all stop everything, as Ctrl-C does."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(child.pid, signum)


def main() -> int:
    # Installed explicitly: in a background job SIGINT arrives ignored, and Python
    # then never turns it into KeyboardInterrupt.
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop_requested)
    _die_with_parent()
    os.chdir(BASE_DIR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    port = os.environ.get("PORT", "8000")

    from devtools import local_services

    started = local_services.servers_ensure()
    started_db, started_redis = "PostgreSQL" in started, "Redis" in started

    manage = [PYTHON, "manage.py"]
    children: list[subprocess.Popen] = []

    def stop_all(*_args: object) -> None:
        # A second signal while stopping must not cut the cleanup short.
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        # To each child's whole process group, so the reloader's server process and the
        # worker's pool stop with their parents; SIGTERM is Celery's warm shutdown.
        for child in children:
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(child, signal.SIGKILL)  # whatever of the group is left
        if started_redis:
            local_services.redis_stop()
        if started_db:
            local_services.postgres_stop()
        stopped = [
            name for name, did in (("PostgreSQL", started_db), ("Redis", started_redis)) if did
        ]
        if stopped:
            print(f"Stopped embedded {' and '.join(stopped)}.")

    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True)
        subprocess.run([*manage, "seed_demo"], check=True)
        # Each child gets its own process group so that Ctrl-C reaches it once, from us,
        # and dies with us even if we are killed outright.
        spawn = {"start_new_session": True, "preexec_fn": _child_setup}
        children.append(subprocess.Popen(web_command(port), **spawn))
        children.append(
            subprocess.Popen(
                celery_command("worker", "--loglevel", "INFO", "--concurrency", "2"), **spawn
            )
        )
        children.append(subprocess.Popen(celery_command("beat", "--loglevel", "INFO"), **spawn))
        time.sleep(2)
        print(_banner(port), flush=True)
        parent = os.getppid()
        while all(child.poll() is None for child in children):
            if _make_was_interrupted(parent):
                raise KeyboardInterrupt("SIGINT to make")
            time.sleep(0.5)
        print("A process stopped; shutting down the rest.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping...")
        return 0
    except subprocess.CalledProcessError as error:
        print(f"Setup failed: {error}", file=sys.stderr)
        return 1
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
