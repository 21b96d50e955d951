"""`make run`: the whole app on one machine, with demo data.

Starts (or reuses) the embedded PostgreSQL and Redis unless DATABASE_URL /
REDIS_URL are set, migrates, seeds the demo organizations, then runs the web
server, a Celery worker and Celery beat side by side. Ctrl-C stops every process
it started, including embedded servers it had to start itself.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


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


def main() -> int:
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
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
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
        celery = [PYTHON, "-m", "celery", "-A", "config"]
        # Each child gets its own process group so that Ctrl-C reaches it once, from us.
        spawn = {"start_new_session": True}
        children.append(subprocess.Popen([*manage, "runserver", f"0.0.0.0:{port}"], **spawn))
        children.append(
            subprocess.Popen(
                [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"], **spawn
            )
        )
        children.append(subprocess.Popen([*celery, "beat", "--loglevel", "INFO"], **spawn))
        time.sleep(2)
        print(_banner(port), flush=True)
        while all(child.poll() is None for child in children):
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
