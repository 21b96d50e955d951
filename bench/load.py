"""Load test: 50 signed-in people using the app for 60 seconds, over loopback only.

Run it with ``make bench-load`` or
``.venv/bin/python -m bench.load [--users 50] [--seconds 60]``.

What it does: on its own database (``psops_bench`` on the embedded PostgreSQL, as
``bench.provisioning``; ``DATABASE_URL`` if set), it migrates, seeds the demo
organizations and adds ``--users`` consultants to Acme, each on the team of three
engagements. It starts the web server exactly as ``make run`` does
(``devtools.run_local.web_command``: gunicorn, 2 workers x 4 threads) on 127.0.0.1
and a Celery worker, signs every person in through the sign-in page, then each
person, in a thread of their own, repeats for ``--seconds``: open their home page, the
engagement list, one of their engagements, their notifications, and log a pain point
with the engagement page's quick log (one write in five requests). No think time:
each person sends the next request as soon as the last one is answered.

It reports the requests, the errors (any answer but 200/204, or no answer), requests
per second and the 50th/95th/99th percentile and the slowest response time, and
checks that every pain point whose logging was answered 200 is in the database
(nothing the user saw succeed was lost). It exits 1 on any error or lost write.
Everything is bounded: a fixed number of people and seconds, 30 s per request.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field

from bench.provisioning import use_bench_database

BENCH_PASSWORD = "bench-load-password-7f3a"  # noqa: S105 - a local benchmark account
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN = re.compile(r'name="submission_token" value="([^"]+)"')
TIMEOUT = 30


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    logged_titles: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, problem: str | None = None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if problem:
                self.errors.append(problem)


def found(pattern: re.Pattern[str], page: str) -> str:
    match = pattern.search(page)
    if match is None:
        raise RuntimeError(f"no {pattern.pattern} on the page")
    return match.group(1)


class Person:
    """One signed-in person's browser: cookies, the host, and timed requests."""

    def __init__(self, *, base: str, host: str, email: str, tally: Tally) -> None:
        self.base, self.host, self.email, self.tally = base, host, email, tally
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )

    def request(
        self, path: str, data: dict | None = None, *, htmx: bool = False, timed: bool = True
    ) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Host": self.host, "Referer": f"http://{self.host}{path}"}
        if htmx:
            headers["HX-Request"] = "true"
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        except OSError as error:
            if timed:
                self.tally.record(time.perf_counter() - started, f"{path}: {error}")
            return 0, ""
        if timed:
            ok = status in (200, 204)
            self.tally.record(time.perf_counter() - started, None if ok else f"{path}: {status}")
        return status, text

    def sign_in(self) -> None:
        _, page = self.request("/accounts/login/", timed=False)
        status, _ = self.request(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": found(CSRF, page),
                "username": self.email,
                "password": BENCH_PASSWORD,
            },
            timed=False,
        )
        if status != 302:
            raise RuntimeError(f"{self.email} could not sign in ({status})")

    def session(self, *, engagement_ids: list[int], until: float) -> None:
        turn = 0
        while time.monotonic() < until:
            engagement = engagement_ids[turn % len(engagement_ids)]
            self.request("/")
            self.request("/engagements/")
            status, page = self.request(f"/engagements/{engagement}/")
            self.request("/notifications/")
            if status == 200 and time.monotonic() < until:
                title = f"Load {uuid.uuid4().hex[:12]}"
                status, _ = self.request(
                    f"/engagements/{engagement}/pain-points/quick/",
                    {
                        "csrfmiddlewaretoken": found(CSRF, page),
                        "submission_token": found(TOKEN, page),
                        "title": title,
                        "category": "other",
                        "severity": "medium",
                    },
                    htmx=True,
                )
                if status == 200:
                    with self.tally.lock:
                        self.tally.logged_titles.append(title)
            turn += 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def prepare(users: int) -> tuple[str, list[tuple[str, list[int]]]]:
    """Migrate, seed, add the bench people; returns Acme's host and (email, engagements)."""
    import django
    from django.core.management import call_command

    django.setup()
    from django_tenants.utils import schema_context

    from engagements.models import Engagement
    from psops.accounts.models import Role, User
    from psops.tenancy.models import Organization

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", verbosity=0)
    acme = Organization.objects.get(slug="acme")
    people = []
    with schema_context(acme.schema_name):
        engagement_ids = list(Engagement.objects.order_by("pk").values_list("pk", flat=True))
        for n in range(users):
            email = f"bench-load-{n}@acme.test"
            person = User.objects.filter(email=email).first() or User.objects.create_user(
                email=email, password=BENCH_PASSWORD, full_name=f"Load {n}", role=Role.CONSULTANT
            )
            mine = [engagement_ids[(n + k) % len(engagement_ids)] for k in range(3)]
            for engagement in Engagement.objects.filter(pk__in=mine):
                engagement.team.add(person)
            people.append((email, mine))
        host = acme.get_primary_domain().domain
    return host, people


def logged_in_database(titles: list[str]) -> int:
    from django_tenants.utils import schema_context

    from engagements.models import PainPoint

    with schema_context("acme"):
        return PainPoint.objects.filter(title__in=titles).count()


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_healthy(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5):  # noqa: S310
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def percentile(values: list[float], q: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)

    use_bench_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    host, people = prepare(args.users)

    from django.conf import settings

    from devtools.run_local import WEB_THREADS, WEB_WORKERS, celery_command, web_command

    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "PSOPS_EMBEDDED_SERVERS": "false",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "SECURE_COOKIES": "false",
        "PSOPS_URL_SCHEME": "http",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    processes = [
        start(web_command(str(args.port), bind="127.0.0.1", reload=False), env),
        start(celery_command("worker", "--concurrency", "1", "--loglevel", "WARNING"), env),
    ]
    base = f"http://127.0.0.1:{args.port}"
    tally = Tally()
    try:
        wait_healthy(base)
        persons = [Person(base=base, host=host, email=email, tally=tally) for email, _ in people]
        for person in persons:
            person.sign_in()
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=person.session, kwargs={"engagement_ids": ids, "until": until})
            for person, (_, ids) in zip(persons, people, strict=True)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + TIMEOUT + 5)
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)

    kept = logged_in_database(tally.logged_titles)
    lost = len(tally.logged_titles) - kept
    latencies = sorted(tally.latencies)
    print(
        f"{args.users} people, {args.seconds} s, web: gunicorn {WEB_WORKERS} workers x "
        f"{WEB_THREADS} threads, {os.cpu_count()} CPU cores"
    )
    print(
        f"requests: {len(latencies)} ({len(latencies) / elapsed:.1f}/s), "
        f"errors: {len(tally.errors)}"
    )
    print(
        "response time ms: "
        f"p50 {percentile(latencies, 50) * 1000:.0f}, p95 {percentile(latencies, 95) * 1000:.0f}, "
        f"p99 {percentile(latencies, 99) * 1000:.0f}, max {latencies[-1] * 1000:.0f}"
    )
    print(f"pain points logged: {len(tally.logged_titles)}, in the database: {kept}, lost: {lost}")
    for problem in tally.errors[:10]:
        print(f"  error: {problem}")
    return 1 if tally.errors or lost else 0


if __name__ == "__main__":
    sys.exit(main())
