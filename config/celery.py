"""The tenant-aware Celery app.

``tenant_schemas_celery.CeleryApp`` stamps every task with the schema that was
active when it was sent (a ``_schema_name`` header) and switches the worker's
connection to that schema before the task runs. A plain ``Celery()`` app would
run every task in the public schema.
"""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("psops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
