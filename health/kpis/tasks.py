from celery import shared_task
from django.utils import timezone

from health.kpis.cache import data_changes_compact
from health.kpis.snapshots import kpi_snapshots_store

__all__ = ["compact_kpi_data_changes", "snapshot_kpis"]


@shared_task(name="health.tasks_kpis.snapshot_kpis")
def snapshot_kpis() -> int:
    """Daily, per tenant (beat): today's value of every KPI; running it twice stores one."""
    return kpi_snapshots_store(day=timezone.localdate())


@shared_task(name="health.kpis.compact_data_changes")
def compact_kpi_data_changes() -> int:
    """Every 15 minutes, per tenant (beat): fold the write tally the KPI cache is keyed
    by into one row, so reading its sum stays one small scan."""
    return data_changes_compact()
