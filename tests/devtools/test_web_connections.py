"""``make run``'s web server cannot exhaust PostgreSQL's connections.

runserver started a thread per request, each keeping its connection for
CONN_MAX_AGE, so a few hundred quick requests hit "too many clients already".
This starts the web server exactly as ``make run`` does, against the test
database, and counts the connections it holds after hundreds of requests.
"""

import os
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from devtools.run_local import WEB_THREADS, WEB_WORKERS, web_command
from tests.conftest import host_of
from tests.servers import database_url, free_ports, web_server_running

SEQUENTIAL, CONCURRENT, CLIENTS = 300, 200, 20


def get(url: str, host: str) -> int:
    request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310 (http only)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def connections_named(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name])
        return cursor.fetchone()[0]


@pytest.fixture
def web_server(django_db_blocker):
    """The web server of ``make run`` on a free port; yields (base url, connection name)."""
    name = f"psops-web-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        url = database_url(application_name=name)
    (port,) = free_ports(1)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "DEBUG": "true",
        "PSOPS_EMBEDDED_SERVERS": "false",
    }
    with web_server_running(web_command(str(port)), port=port, env=env) as base:
        yield base, name


@pytest.mark.django_db
def test_hundreds_of_requests_hold_a_bounded_number_of_connections(web_server, tenant):
    base, name = web_server
    host = host_of(tenant)
    pages = [f"{base}/healthz", f"{base}/accounts/login/"]

    sequential = [get(pages[i % 2], host) for i in range(SEQUENTIAL)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        concurrent = list(pool.map(lambda i: get(pages[i % 2], host), range(CONCURRENT)))

    assert sequential == [200] * SEQUENTIAL
    assert concurrent == [200] * CONCURRENT
    # Persistent connections outlive their requests: what is open now is what was used.
    assert 1 <= connections_named(name) <= WEB_WORKERS * WEB_THREADS
