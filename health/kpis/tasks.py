from celery import shared_task
from django.utils import timezone

from health.kpis.snapshots import kpi_snapshots_store

__all__ = ["snapshot_kpis"]


@shared_task(name="health.tasks_kpis.snapshot_kpis")
def snapshot_kpis() -> int:
    """Daily, per tenant (beat): today's value of every KPI; running it twice stores one."""
    return kpi_snapshots_store(day=timezone.localdate())
