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
