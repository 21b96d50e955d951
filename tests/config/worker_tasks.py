"""Tasks that only the real-worker tests load (``--include tests.config.worker_tasks``)."""

import os

from celery import shared_task
from django.db import connection


@shared_task(name="tests.report_schema")
def report_schema() -> dict:
    """Where the worker ran this task: the connection's tenant and the database's own view."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        current_schema = cursor.fetchone()[0]
    tenant = getattr(connection, "tenant", None)
    return {
        "schema_name": connection.schema_name,
        "current_schema": current_schema,
        "organization": getattr(tenant, "name", None),
        "pid": os.getpid(),
    }
