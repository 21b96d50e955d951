"""GET /healthz on any host, including ones no tenant owns (load balancers probe by IP).

It answers before tenant routing and host validation, checks the database and the
Celery broker, and returns 200 with each part's status, or 503 naming what is down.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

HEALTH_PATH = "/healthz"
BROKER_TIMEOUT_SECONDS = 2
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
    body = {"status": "down" if down else "ok", "down": down, **parts}
    return (503 if down else 200), body


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            status, body = health_report()
            response = JsonResponse(body, status=status)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
