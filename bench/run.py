"""The whole benchmark: pages at three sizes, the risk scans over many tenants, and
provisioning, and the audit trail's write cost and page; a JSON result file and the
tables the README shows.

``make bench`` (about 20 minutes once the data sets exist; building them the first
time takes longer) and ``make bench-quick`` (about 2 minutes: pages at 100 and 1,000
engagements with fewer runs, the scans over 3 small tenants, 5 s of wrk, one
provisioning round). Throughput needs Debian's ``wrk`` and is skipped, saying so,
without it.

Everything runs on the benchmark's own database (``psops_bench`` on the embedded
PostgreSQL unless ``DATABASE_URL`` is set), with production settings (``DEBUG`` off,
templates cached). The data sets are built by seeded generators (``bench.pages.build``,
``bench.scans.build``) and kept between runs. Results go to
``artifacts/bench/<UTC time>.json`` and ``artifacts/bench/latest.json``.

Numbers from this 2-core machine vary from run to run by up to 2x with whatever else
it is doing: compare a page with the floor (the notifications page) of the same run.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="the 2-minute version")
    parser.add_argument("--sizes", help="engagement counts, e.g. 100,1000,10000")
    parser.add_argument(
        "--skip", default="", help="parts to leave out: pages,scans,throughput,provisioning,audit"
    )
    args = parser.parse_args(argv)
    sizes = [
        int(n) for n in (args.sizes or ("100,1000" if args.quick else "100,1000,10000")).split(",")
    ]
    runs, warmup = (5, 1) if args.quick else (15, 3)
    tenants, followups = (3, 2000) if args.quick else (200, 10_000)
    skip = set(filter(None, args.skip.split(",")))

    from bench import audit, pages, provisioning, scans, throughput

    scans.environment()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    result: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "pages": {},
    }
    tables = []
    if "pages" not in skip:
        for size in sizes:
            print(f"Pages at {size:,} engagements", flush=True)
            slug = pages.tenant_ensure(size)
            measured = pages.measure(slug, runs=runs, warmup=warmup)
            result["pages"][str(size)] = [asdict(r) | {"ratio": r.ratio} for r in measured]
            tables.append(pages.table(size, measured))
    if "scans" not in skip:
        print(f"Risk scans over {tenants} tenants x {followups:,} follow-ups", flush=True)
        passes = scans.measure(tenants=tenants, followups=followups)
        result["scans"] = {
            "tenants": tenants,
            "followups": followups,
            "passes": scans.as_json(passes),
        }
        tables.append(scans.table(tenants, followups, passes))
    if "throughput" not in skip:
        print("Throughput under wrk", flush=True)
        measured_rate = throughput.measure(engagements=1000, seconds=5 if args.quick else 15)
        result["throughput"] = measured_rate
        if measured_rate is not None:
            tables.append(throughput.table(measured_rate))
    if "provisioning" not in skip:
        print("Provisioning", flush=True)
        provisioned = provisioning.measure(runs=1 if args.quick else 5, warmup=1)
        result["provisioning"] = provisioned
        tables.append(provisioning.report(provisioned))
    if "audit" not in skip:
        print("Audit trail", flush=True)
        entries = 100_000 if args.quick else 1_000_000
        result["audit"] = audit.run(entries=entries, runs=3 if args.quick else 5, warmup=1)
        tables.append(result["audit"]["table"])
    result["seconds"] = round(time.perf_counter() - started, 1)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(result, indent=2, default=str)
    (ARTIFACTS / f"{stamp}.json").write_text(text)
    (ARTIFACTS / "latest.json").write_text(text)
    print("\n\n".join(["", *tables]))
    print(f"\n{result['seconds']:.0f} s in all; results in {ARTIFACTS / (stamp + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
