"""The CRM API against its own OpenAPI schema: schemathesis, every check, on a live server.

schemathesis reads ``/api/v1/openapi.json`` and sends what the schema allows and what
it forbids (wrong types, missing fields, NUL characters, huge numbers, other methods,
no token) to a real gunicorn serving the test database, and fails on any answer the
schema does not document: a 500, an HTML page, a status or body not in the schema, a
request that breaks the schema yet is accepted, one that keeps to it yet is refused.

The server runs with production settings (``DEBUG`` off) in an organization of its
own, provisioned and committed for the run and dropped with its schema afterwards, so
the packets schemathesis files are seen by no other test. A fixed seed and a bounded
number of examples keep the run the same every time and within about a minute.
"""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from handoffs import services
from psops.accounts.models import Role
from psops.tenancy.models import Organization
from psops.tenancy.services import organization_create
from tests.concurrency import run_on_own_connection
from tests.factories import UserFactory
from tests.servers import BASE_DIR, database_url, free_ports, web_server_running

SLUG = "api-check"
MAX_EXAMPLES = 100
ARTIFACTS = BASE_DIR / "artifacts" / "schemathesis"


def _organization_drop() -> None:
    """Remove the run's organization, schema and all, if an earlier run left it."""
    connection.set_schema_to_public()
    organization = Organization.objects.filter(slug=SLUG).first()
    if organization is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{organization.schema_name}" CASCADE')
    organization.domains.all().delete()
    organization.delete()


def _organization_provision() -> tuple[str, str]:
    """The run's organization with a sales rep and an API token; (host, raw token)."""
    connection.set_schema_to_public()
    provisioned = organization_create(
        name="API check", slug=SLUG, admin_email="admin@api-check.test"
    )
    connection.set_tenant(provisioned.organization)
    sales = UserFactory(role=Role.SALES, email="sales@api-check.test")
    _, raw = services.api_token_create(name="CRM", by=provisioned.admin, acts_as=sales)
    return provisioned.domain.domain, raw


@pytest.fixture
def api_organization(tenant):
    run_on_own_connection(_organization_drop, tenant=tenant)
    try:
        yield run_on_own_connection(_organization_provision, tenant=tenant)
    finally:
        run_on_own_connection(_organization_drop, tenant=tenant)


@pytest.mark.django_db
def test_schemathesis_finds_nothing_the_schema_does_not_document(
    api_organization, django_db_blocker
):
    host, raw_token = api_organization
    with django_db_blocker.unblock():
        url = database_url()
    (port,) = free_ports(1)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "PSOPS_EMBEDDED_SERVERS": "false",
        "DEBUG": "false",
        "SECRET_KEY": "schemathesis-only",
        "SECURE_COOKIES": "false",
        "PSOPS_BASE_DOMAIN": "localhost",
        "PSOPS_URL_SCHEME": "http",
        "ALLOWED_HOSTS": "localhost,.localhost",
        "STATIC_MANIFEST": "false",
        # Whatever a packet sends runs in the request, not queued where no worker reads.
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1"]
    command = [*gunicorn, "--threads", "4", "--bind", f"127.0.0.1:{port}"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    host_header = f"{host}:{port}"
    with web_server_running(command, port=port, env=env, log=ARTIFACTS / "web.log") as base:
        # The schema is served on the organization's host only, as the API itself.
        request = urllib.request.Request(  # noqa: S310 (http on loopback)
            f"{base}/api/v1/openapi.json", headers={"Host": host_header}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            schema = json.load(response)
        schema_file = ARTIFACTS / "openapi.json"
        schema_file.write_text(json.dumps(schema, indent=1))

        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                str(schema_file),
                "--url",
                base,
                "--checks",
                "all",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--generation-deterministic",
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--no-color",
                "--header",
                f"Authorization: Bearer {raw_token}",
                "--header",
                f"Host: {host_header}",
                "--report",
                "junit",
                "--report-dir",
                str(ARTIFACTS),
            ],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
    (ARTIFACTS / "schemathesis.log").write_text(done.stdout + done.stderr)

    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
