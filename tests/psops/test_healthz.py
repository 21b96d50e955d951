import time

import pytest

from psops import healthz
from tests.conftest import TenantClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["acme.localhost", "localhost", "nobody.localhost", "10.0.0.7"])
def test_healthz_reports_ok_on_any_host(host):
    response = TenantClient(host=host).get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["broker"]["status"] == "ok"
    assert body["down"] == []


def test_healthz_is_503_naming_the_broker_when_it_is_down(settings, tmp_path):
    settings.CELERY_BROKER_URL = f"redis+socket://{tmp_path}/no-such.sock"

    response = TenantClient(host="acme.localhost").get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["broker"]["status"] == "down"
    assert body["database"]["status"] == "ok"


def test_healthz_is_503_naming_the_database_when_it_is_down(monkeypatch):
    from django.db import OperationalError

    def database_down():
        raise OperationalError("connection refused")

    monkeypatch.setitem(healthz.CHECKS, "database", database_down)

    response = TenantClient(host="acme.localhost").get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
    assert response.json()["database"] == {"status": "down", "error": "OperationalError"}


class TestBeat:
    @pytest.fixture
    def last_tick(self, monkeypatch):
        def set_(seconds_ago):
            value = None if seconds_ago is None else time.time() - seconds_ago
            monkeypatch.setattr("psops.tenancy.scheduler.beat_last_tick", lambda: value)

        return set_

    def test_healthz_says_when_beat_last_ran(self, last_tick):
        last_tick(30)

        response = TenantClient(host="localhost").get("/healthz")

        assert response.json()["beat"] == {"status": "ok", "last_tick_seconds_ago": 30}
        assert TenantClient(host="localhost").get("/healthz/beat").status_code == 200

    @pytest.mark.parametrize(("seconds_ago", "status"), [(None, "unknown"), (3600, "stale")])
    def test_a_stopped_beat_fails_its_own_check_not_the_web_processes(
        self, last_tick, seconds_ago, status
    ):
        last_tick(seconds_ago)

        overall = TenantClient(host="localhost").get("/healthz")
        alone = TenantClient(host="localhost").get("/healthz/beat")

        assert overall.status_code == 200 and overall.json()["beat"]["status"] == status
        assert alone.status_code == 503 and alone.json()["status"] == status
