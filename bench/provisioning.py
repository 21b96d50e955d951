"""Provisioning benchmark: a tenant cloned from the template versus a plain migrate.

Part of ``make bench``; alone: ``.venv/bin/python -m bench.provisioning [--runs 5] [--warmup 1]``.

What it measures: the wall-clock time of provisioning one organization end to end,
i.e. ``psops.tenancy.services.organization_create`` (validation, tenant row, schema,
migrations, domain, first admin user, all in one transaction), by two paths:

- clone: ``organization_create`` exactly as in production. django-tenants'
  ``create_schema`` copies ``TENANT_BASE_SCHEMA`` (``clone_schema``) and then runs
  ``migrate_schemas --tenant --fake`` for the new schema.
- plain migrate: the same call under ``TENANT_CREATION_FAKES_MIGRATIONS=False``, so
  ``create_schema`` takes its other branch: ``CREATE SCHEMA`` and a real
  ``migrate_schemas --tenant --schema=<name>``. ``template_check()`` is skipped on this
  path, since a project without a template would not run it; its cost on the clone
  path is printed separately.

Spies on django-tenants record which branch was really taken (clone or not, migrate
faked or not) and the benchmark aborts if a path did not do what it claims. Every
fresh schema is also checked to have as many tables and recorded migrations as the
template. The paths alternate, one warm-up round is discarded, and it prints the
median, min and max of ``--runs`` timed runs per path.

Database: unless ``DATABASE_URL`` is set (in the environment or ``.env``), it uses its
own database ``psops_bench`` on the embedded PostgreSQL server (``devtools.local_services``),
creates it if needed and runs ``migrate`` on it first, so the development database and
its demo organizations are never touched. Each benchmark organization (slugs
``bench-clone-<n>``, ``bench-plain-<n>``, warm-ups ``bench-<path>-w<n>``) is removed
afterwards, with its domain and schema (``DROP SCHEMA ... CASCADE``), also on error.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

BENCH_DATABASE = "psops_bench"
PATHS = ("clone", "plain")
LABELS = {"clone": "clone template", "plain": "plain migrate"}


def use_bench_database() -> bool:
    """Point ``DATABASE_URL`` at ``psops_bench`` on the embedded server unless it is set.

    Must run before Django's settings are loaded. Returns True if it did.
    """
    from devtools import local_services

    # A DATABASE_URL in the environment or .env counts as set.
    if local_services.configured("DATABASE_URL"):
        local_services.servers_ensure()
        return False
    os.environ["DATABASE_URL"] = local_services.postgres_url(BENCH_DATABASE)
    local_services.servers_ensure()
    return True


@dataclass
class Spy:
    """What django-tenants' ``create_schema`` really did during one provisioning."""

    clones: list[tuple[str, str]] = field(default_factory=list)
    migrate_calls: list[dict] = field(default_factory=list)
    template_check_seconds: float = 0.0


@contextmanager
def spying(spy: Spy, *, skip_template_check: bool) -> Iterator[None]:
    from unittest import mock

    import django_tenants.models
    from django_tenants.clone import CloneSchema

    from psops.tenancy import services

    real_clone = CloneSchema.clone_schema
    real_call_command = django_tenants.models.call_command
    real_template_check = services.template_check

    def clone_schema(
        self: Any, base_schema_name: str, new_schema_name: str, *args: Any, **kwargs: Any
    ) -> Any:
        spy.clones.append((base_schema_name, new_schema_name))
        return real_clone(self, base_schema_name, new_schema_name, *args, **kwargs)

    def call_command(name: str, *args: Any, **kwargs: Any) -> Any:
        spy.migrate_calls.append({"command": name, **kwargs})
        return real_call_command(name, *args, **kwargs)

    def template_check() -> None:
        if skip_template_check:
            return
        start = time.perf_counter()
        real_template_check()
        spy.template_check_seconds += time.perf_counter() - start

    with (
        mock.patch.object(CloneSchema, "clone_schema", clone_schema),
        mock.patch.object(django_tenants.models, "call_command", call_command),
        mock.patch.object(services, "template_check", template_check),
    ):
        yield spy


def verify_path(path: str, spy: Spy, schema_name: str) -> None:
    """Abort unless django-tenants took the branch this path is meant to measure."""
    from psops.tenancy.template import TEMPLATE_SCHEMA

    migrates = [call for call in spy.migrate_calls if call["command"] == "migrate_schemas"]
    problems = []
    if len(migrates) != 1 or migrates[0].get("schema_name") != schema_name:
        problems.append(f"expected one migrate_schemas for {schema_name}, got {migrates}")
    faked = bool(migrates and migrates[0].get("fake"))
    if path == "clone":
        if spy.clones != [(TEMPLATE_SCHEMA, schema_name)]:
            problems.append(f"expected one clone of {TEMPLATE_SCHEMA}, got {spy.clones}")
        if not faked:
            problems.append("migrations were not faked after the clone")
    else:
        if spy.clones:
            problems.append(f"the plain path cloned: {spy.clones}")
        if faked:
            problems.append("the plain path faked its migrations")
    if problems:
        raise RuntimeError(f"{path} path did not run as intended: " + "; ".join(problems))


def schema_shape(schema_name: str) -> tuple[int, int]:
    """(number of tables, number of recorded migrations) in a schema."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [schema_name],
        )
        tables = cursor.fetchone()[0]
        table = f"{connection.ops.quote_name(schema_name)}.django_migrations"
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        migrations = cursor.fetchone()[0]
    return tables, migrations


def drop_organization(slug: str) -> None:
    """Remove a benchmark organization, its domain and its schema, if any exist."""
    from django.db import connection

    from psops.tenancy.models import Domain, Organization
    from psops.tenancy.services import tenant_domain_for

    if not slug.startswith("bench-"):
        raise ValueError(f"refusing to drop non-benchmark organization {slug!r}")
    schema_name = slug.replace("-", "_")
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants'
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema_name)} CASCADE")
    Domain.objects.filter(domain=tenant_domain_for(slug=slug)).delete()
    Domain.objects.filter(tenant__slug=slug).delete()
    Organization.objects.filter(slug=slug).delete()


def provision_once(path: str, slug: str, template_shape: tuple[int, int]) -> tuple[float, Spy]:
    """Provision one organization by ``path``, verify it, drop it; return the seconds taken."""
    from django.test.utils import override_settings

    from psops.tenancy.services import organization_create

    spy = Spy()
    fakes = path == "clone"
    try:
        with (
            override_settings(TENANT_CREATION_FAKES_MIGRATIONS=fakes),
            spying(spy, skip_template_check=not fakes),
        ):
            start = time.perf_counter()
            provisioned = organization_create(
                name=f"Benchmark {slug}", slug=slug, admin_email=f"admin@{slug}.example.com"
            )
            seconds = time.perf_counter() - start
        schema_name = provisioned.organization.schema_name
        verify_path(path, spy, schema_name)
        shape = schema_shape(schema_name)
        if shape != template_shape:
            raise RuntimeError(
                f"{schema_name} has (tables, migrations) {shape}, the template {template_shape}"
            )
    finally:
        drop_organization(slug)
    return seconds, spy


def leftovers() -> list[str]:
    from django.db import connection

    from psops.tenancy.models import Organization

    # Only this benchmark's own organizations: the page and scan benchmarks keep theirs.
    found = [
        f"organization {organization}"
        for path in PATHS
        for organization in Organization.objects.filter(slug__startswith=f"bench-{path}-")
    ]
    with connection.cursor() as cursor:
        for path in PATHS:
            cursor.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"bench\\_{path}\\_%"]
            )
            found += [f"schema {row[0]}" for row in cursor.fetchall()]
    return found


def migration_counts() -> tuple[int, int]:
    """(all migrations in the project, those of tenant apps)."""
    from django.apps import apps
    from django.conf import settings
    from django.db.migrations.loader import MigrationLoader

    nodes = MigrationLoader(None, ignore_no_migrations=True).graph.nodes
    tenant_labels = {c.label for c in apps.get_app_configs() if c.name in settings.TENANT_APPS}
    return len(nodes), sum(1 for app_label, _ in nodes if app_label in tenant_labels)


def measure(*, runs: int, warmup: int, own_database: bool = False) -> dict[str, Any]:
    """Provision ``runs`` organizations by each path (after ``warmup`` rounds) and
    remove them; the timings, medians and what was measured on."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from psops.tenancy.models import Organization
    from psops.tenancy.template import TEMPLATE_SCHEMA, template_check

    database = settings.DATABASES["default"]["NAME"]
    if own_database:
        print(f"Migrating the benchmark database {database}...", flush=True)
        call_command("migrate", interactive=False, verbosity=0)
    template_check()
    template_shape = schema_shape(TEMPLATE_SCHEMA)

    rounds = [f"w{n}" for n in range(1, warmup + 1)]
    rounds += [str(n) for n in range(1, runs + 1)]
    for label in rounds:
        for path in PATHS:
            drop_organization(f"bench-{path}-{label}")  # leftovers of an interrupted run
    tenants_before = Organization.objects.count()

    timings: dict[str, list[float]] = {path: [] for path in PATHS}
    checks: list[float] = []
    for label in rounds:
        for path in PATHS:
            seconds, spy = provision_once(path, f"bench-{path}-{label}", template_shape)
            print(f"  {path:<5} {label:>3}: {seconds:.3f} s", flush=True)
            if not label.startswith("w"):
                timings[path].append(seconds)
                if path == "clone":
                    checks.append(spy.template_check_seconds)

    remaining = leftovers()
    if remaining or Organization.objects.count() != tenants_before:
        raise RuntimeError(f"the benchmark left something behind: {remaining}")

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    total, tenant = migration_counts()
    return {
        "runs": runs,
        "warmup": warmup,
        "timings": timings,
        "medians": {path: statistics.median(timings[path]) for path in PATHS},
        "template_check_median": statistics.median(checks),
        "migrations": total,
        "tenant_migrations": tenant,
        "tables": template_shape[0],
        "recorded_migrations": template_shape[1],
        "server_version": server_version,
        "database": database,
    }


def report(result: dict[str, Any]) -> str:
    medians, timings = result["medians"], result["timings"]
    lines = [
        f"Provisioning one organization (tenant row, schema, migrations, domain, admin), "
        f"{result['runs']} runs per path after {result['warmup']} warm-up round(s):",
        f"  {'path':<16}{'median':>9}{'min':>9}{'max':>9}",
    ]
    for path in PATHS:
        values = timings[path]
        lines.append(
            f"  {LABELS[path]:<16}{medians[path]:>8.3f}s{min(values):>8.3f}s{max(values):>8.3f}s"
        )
    lines += [
        f"  clone is {medians['plain'] / medians['clone']:.1f}x faster (median)",
        f"  template_check() within clone: median {result['template_check_median']:.3f} s",
        f"Migrations: {result['migrations']} in the project, {result['tenant_migrations']} of "
        f"them in tenant apps; each new schema records {result['recorded_migrations']} and has "
        f"{result['tables']} tables.",
        f"Machine: nproc={len(os.sched_getaffinity(0))}, Python {platform.python_version()}, "
        f"PostgreSQL {result['server_version']}, database {result['database']}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per path (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="discarded rounds (default 1)")
    options = parser.parse_args(argv)

    own_database = use_bench_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    result = measure(runs=options.runs, warmup=options.warmup, own_database=own_database)
    print()
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
