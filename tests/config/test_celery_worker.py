"""Tasks run in the schema of the tenant that sent them, on a real worker over the real broker."""

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from config.celery import app as celery_app
from tests.config.worker_tasks import report_schema
from tests.servers import WORKER_ARGS, celery_command, database_url

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(django_db_blocker):
    """A real ``celery worker`` process on a private queue of the real Redis broker."""
    queue = f"test-{uuid.uuid4().hex}"
    with django_db_blocker.unblock():
        url = database_url()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "DEBUG": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    process = subprocess.Popen(
        celery_command(
            *WORKER_ARGS,
            "--queues",
            queue,
            "--include",
            "tests.config.worker_tasks",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ),
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    celery_app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager = True
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        if "Traceback" in (output or ""):
            print(output)


@pytest.mark.worker
@pytest.mark.django_db
def test_a_task_runs_in_the_schema_of_the_tenant_that_sent_it(worker):
    results = {}
    for schema in ("acme", "globex", "public"):
        with schema_context(schema):
            results[schema] = report_schema.apply_async(queue=worker, ignore_result=False)

    reports = {schema: result.get(timeout=60) for schema, result in results.items()}
    # Run by the worker process, not inline in this one.
    worker_pids = {report.pop("pid") for report in reports.values()}
    assert len(worker_pids) == 1
    assert os.getpid() not in worker_pids

    assert reports["acme"] == {
        "schema_name": "acme",
        "current_schema": "acme",
        "organization": "Acme Corp",
    }
    assert reports["globex"] == {
        "schema_name": "globex",
        "current_schema": "globex",
        "organization": "Globex",
    }
    assert reports["public"]["schema_name"] == "public"
    assert reports["public"]["current_schema"] == "public"


def committed(sql: str, params: list | None = None) -> list[tuple]:
    """Run SQL on a separate, autocommit connection: visible to the worker at once."""
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
    ) as conn:
        cursor = conn.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else []


@pytest.mark.worker
@pytest.mark.django_db
def test_beat_fans_a_job_out_to_every_customer_tenant_on_a_real_worker(worker):
    from datetime import timedelta

    from django.utils import timezone

    from psops.tenancy.scheduler import TenantScheduler

    schemas = ["acme", "globex"]
    past, future = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    for schema in schemas:
        for key, expires in ((f"expired-{schema}", past), (f"live-{schema}", future)):
            committed(
                f'INSERT INTO "{schema}".django_session (session_key, session_data, expire_date)'
                " VALUES (%s, '', %s)",
                [key, expires],
            )
    try:
        scheduler = TenantScheduler(app=celery_app, lazy=True)
        scheduler.setup_schedule()
        entry = scheduler.schedule["clear-expired-sign-in-records@__all_tenants_only__"]
        entry.options["queue"] = worker
        scheduler.apply_entry(entry)

        remaining = set()
        for _ in range(120):
            remaining = {
                f"{schema}:{key}"
                for schema in schemas
                for (key,) in committed(
                    f'SELECT session_key FROM "{schema}".django_session'
                    " WHERE session_key LIKE 'expired-%%' OR session_key LIKE 'live-%%'"
                )
            }
            if not any(":expired-" in item for item in remaining):
                break
            time.sleep(0.25)

        assert remaining == {"acme:live-acme", "globex:live-globex"}
    finally:
        for schema in schemas:
            committed(
                f'DELETE FROM "{schema}".django_session'
                " WHERE session_key LIKE 'expired-%%' OR session_key LIKE 'live-%%'"
            )


@pytest.mark.worker
@pytest.mark.django_db
def test_scheduled_risk_scans_raise_each_tenants_risks_in_its_own_schema(worker):
    from psops.tenancy.scheduler import TenantScheduler

    schemas = {"acme": "Acme stale rollout", "globex": "Globex stale rollout"}
    settings_existed = {
        schema: bool(committed(f'SELECT 1 FROM "{schema}".accounts_organizationsettings'))
        for schema in schemas
    }
    engagement_ids = {}
    for schema, name in schemas.items():
        # An active engagement created two months ago with no activity since: stale.
        (client_id,) = committed(
            f'INSERT INTO "{schema}".engagements_client'
            " (name, industry, segment, notes, created_at, updated_at)"
            " VALUES (%s, '', '', '', now(), now()) RETURNING id",
            [f"{name} client"],
        )[0]
        (engagement_ids[schema],) = committed(
            f'INSERT INTO "{schema}".engagements_engagement'
            " (name, kind, status, created_at, updated_at, client_id)"
            " VALUES (%s, 'implementation', 'active', now() - interval '60 days', now(), %s)"
            " RETURNING id",
            [name, client_id],
        )[0]

    def risks(schema):
        return set(
            committed(
                f'SELECT subject_key, title, status FROM "{schema}".health_risk'
                " WHERE kind = 'stale_engagement'"
            )
        )

    try:
        scheduler = TenantScheduler(app=celery_app, lazy=True)
        scheduler.setup_schedule()
        entry = scheduler.schedule["risk-scans@__all_tenants_only__"]
        entry.options["queue"] = worker
        scheduler.apply_entry(entry)

        found = {}
        for _ in range(240):
            found = {schema: risks(schema) for schema in schemas}
            if all(found.values()):
                break
            time.sleep(0.25)

        for schema, name in schemas.items():
            assert found[schema] == {
                (
                    f"engagement:{engagement_ids[schema]}",
                    f"No activity on {name} ({name} client)",
                    "open",
                )
            }
    finally:
        for schema, name in schemas.items():
            committed(f'DELETE FROM "{schema}".health_risk')
            committed(f'DELETE FROM "{schema}".engagements_engagement WHERE name = %s', [name])
            committed(
                f'DELETE FROM "{schema}".engagements_client WHERE name = %s', [f"{name} client"]
            )
            if not settings_existed[schema]:
                committed(f'DELETE FROM "{schema}".accounts_organizationsettings')
