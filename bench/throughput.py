"""Throughput under wrk: the signed-in leader dashboard against the floor, on gunicorn.

Part of ``make bench``; alone: ``.venv/bin/python -m bench.throughput [--engagements
1000] [--seconds 15]``. Needs Debian's ``wrk`` (``apt-get install wrk``); without it
it says so and measures nothing.

It serves the page benchmark's tenant (``bench.pages``, built if missing) with
gunicorn exactly as ``make run`` does (2 workers x 4 threads, production settings, no
reload) on loopback, signs the tenant's leader in through the sign-in page, then runs
``wrk -t2 -c8`` for ``--seconds`` against the leader dashboard and against the
notifications page (the floor: a signed-in page that reads almost nothing), with the
session cookie. It reports requests per second of each, their ratio, wrk's latency
percentiles, any non-2xx answers, and the resident memory of the largest gunicorn
worker once both runs are over.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass

from bench.scans import _process_tree, _rss_mb


@dataclass(frozen=True)
class WrkResult:
    label: str
    path: str
    requests_per_second: float
    latency_p50_ms: float
    latency_p99_ms: float
    non_2xx: int


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(*, label: str, base: str, path: str, host: str, cookie: str, seconds: int) -> WrkResult:
    binary = shutil.which("wrk") or "wrk"
    output = subprocess.run(
        [
            binary,
            "-t2",
            "-c8",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"Host: {host}",
            "-H",
            f"Cookie: {cookie}",
            base + path,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"50%\s+(\S+)", output)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"99%\s+(\S+)", output)[1])  # type: ignore[index]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(label, path, rate, p50, p99, int(non_2xx[1]) if non_2xx else 0)


def measure(*, engagements: int, seconds: int, port: int = 8766) -> dict | None:
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk): no throughput measured.")
        return None
    from django.conf import settings

    from bench.load import Person, Tally, wait_healthy
    from bench.pages import PASSWORD, tenant_ensure
    from devtools.run_local import web_command
    from psops.tenancy.models import Organization

    slug = tenant_ensure(engagements)
    host = Organization.objects.get(slug=slug).get_primary_domain().domain
    env = {
        **os.environ,
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "PSOPS_EMBEDDED_SERVERS": "false",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    web = subprocess.Popen(
        web_command(str(port), bind="127.0.0.1", reload=False), env=env, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        leader = Person(base=base, host=host, email=f"leader@{slug}.test", tally=Tally())
        import bench.load

        bench.load.BENCH_PASSWORD = PASSWORD  # the page benchmark's people
        leader.sign_in()
        cookie = "; ".join(f"{c.name}={c.value}" for c in leader.cookies)
        for path, heading in (
            ("/", "<h1>PS dashboard</h1>"),
            ("/notifications/", "<h1>Notifications</h1>"),
        ):
            # wrk counts a redirect to the sign-in page as a success: check the cookie
            # really gets the page, then warm every worker's caches.
            request = urllib.request.Request(  # noqa: S310 - loopback
                base + path, headers={"Host": host, "Cookie": cookie}
            )
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                if response.status != 200 or heading not in response.read().decode():
                    raise RuntimeError(f"{path} did not answer the signed-in page")
            for _ in range(20):
                leader.request(path, timed=False)
        results = [
            wrk(
                label="leader dashboard",
                base=base,
                path="/",
                host=host,
                cookie=cookie,
                seconds=seconds,
            ),
            wrk(
                label="notifications (floor)",
                base=base,
                path="/notifications/",
                host=host,
                cookie=cookie,
                seconds=seconds,
            ),
        ]
        time.sleep(1)
        worker_mb = max(_rss_mb(pid) for pid in _process_tree(web.pid)[1:])
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)
    dashboard, floor = results
    summary = {
        "engagements": engagements,
        "seconds": seconds,
        "results": [asdict(r) for r in results],
        "dashboard_share_of_floor": dashboard.requests_per_second / floor.requests_per_second,
        "largest_web_worker_mb": worker_mb,
    }
    for result in results:
        print(
            f"  {result.label}: {result.requests_per_second:.1f} req/s, p50 "
            f"{result.latency_p50_ms:.0f} ms, p99 {result.latency_p99_ms:.0f} ms, "
            f"{result.non_2xx} non-2xx",
            flush=True,
        )
    print(
        f"  dashboard at {summary['dashboard_share_of_floor']:.0%} of the floor's rate; "
        f"largest web worker {worker_mb:.0f} MB after both runs",
        flush=True,
    )
    return summary


def table(summary: dict) -> str:
    lines = [
        f"wrk -t2 -c8 against gunicorn (2 workers x 4 threads), {summary['engagements']:,} "
        f"engagements, {summary['seconds']} s each",
        "| page | requests/s | p50 | p99 | non-2xx |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['label']} | {r['requests_per_second']:.1f} | {r['latency_p50_ms']:.0f} ms | "
        f"{r['latency_p99_ms']:.0f} ms | {r['non_2xx']} |"
        for r in summary["results"]
    ]
    lines.append(
        f"Dashboard at {summary['dashboard_share_of_floor']:.0%} of the floor's rate; the largest "
        f"web worker at {summary['largest_web_worker_mb']:.0f} MB afterwards."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--engagements", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args(argv)

    from bench.pages import environment

    environment()
    import django

    django.setup()
    summary = measure(engagements=args.engagements, seconds=args.seconds)
    if summary is not None:
        print(f"\n{table(summary)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
