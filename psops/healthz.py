"""GET /healthz on any host, including ones no tenant owns (load balancers probe by IP).

It answers before tenant routing and host validation, checks the database and the
Celery broker, and returns 200 with each part's status, or 503 naming what is down.
It also says when Celery beat last ran; a stopped beat does not make the web process
unhealthy (restarting web would not help), so ``/healthz/beat`` answers 503 for it
alone, for the monitor that watches the scheduler.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

HEALTH_PATH = "/healthz"
BEAT_HEALTH_PATH = "/healthz/beat"
BROKER_TIMEOUT_SECONDS = 2
# Beat ticks at least every CELERY_BEAT_MAX_LOOP_INTERVAL (60 s); five missed is stale.
BEAT_STALE_SECONDS = 300
logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    from kombu import Connection

    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={"socket_timeout": BROKER_TIMEOUT_SECONDS},
    ) as broker:
        broker.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS = {"database": check_database, "broker": check_broker}


def health_report() -> tuple[int, dict]:
    parts, down = {}, []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as error:
            # The probe is unauthenticated: name the failure, keep the details in the log.
            logger.warning("health check %s failed: %s", name, error)
            parts[name] = {"status": "down", "error": type(error).__name__}
            down.append(name)
        else:
            parts[name] = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
    body = {"status": "down" if down else "ok", "down": down, **parts, "beat": beat_report()}
    return (503 if down else 200), body


def beat_report() -> dict:
    from psops.tenancy.scheduler import beat_last_tick

    last = beat_last_tick()
    if last is None:
        return {"status": "unknown"}
    age = max(0.0, time.time() - last)
    return {
        "status": "stale" if age > BEAT_STALE_SECONDS else "ok",
        "last_tick_seconds_ago": round(age),
    }


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD") and request.path in (HEALTH_PATH, BEAT_HEALTH_PATH):
            if request.path == HEALTH_PATH:
                status, body = health_report()
            else:
                body = beat_report()
                status = 200 if body["status"] == "ok" else 503
            response = JsonResponse(body, status=status)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
