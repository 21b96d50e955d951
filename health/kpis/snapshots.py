"""Daily KPI snapshots: one value per KPI per day, for the tiles' 12-week trends.

Snapshots are computed for the whole organization over the default window
(``KpiScope()``). Storing is an upsert on (key, day), so running the daily task twice,
or backfilling over days already stored, leaves one row per KPI per day holding the
latest value.
"""

from datetime import date, timedelta

from django.db import transaction

from health.kpis.base import KpiScope
from health.kpis.registry import kpi_compute_all
from health.models import KpiSnapshot


def _upsert(snapshots: list[KpiSnapshot]) -> int:
    KpiSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["key", "day"],
        update_fields=["value", "computed_at"],
    )
    return len(snapshots)


def _snapshots_of(day: date) -> list[KpiSnapshot]:
    values = kpi_compute_all(as_of=day, scope=KpiScope())
    return [KpiSnapshot(key=key, day=day, value=value) for key, value in values.items()]


def kpi_snapshots_store(*, day: date) -> int:
    """Compute every KPI as of ``day`` and store it (replacing that day's values).

    Returns the number of snapshots written: one per KPI.
    """
    return _upsert(_snapshots_of(day))


@transaction.atomic
def kpi_snapshots_backfill(*, days: int, until: date) -> int:
    """Store snapshots for the ``days`` days ending on ``until`` (included), from history.

    Every KPI computes from what was already recorded on each day (``health.kpis``), so
    a backfilled day holds what the daily task would have stored then, except for facts
    history does not keep (a user deactivated since, a scaling metric's earlier numbers).
    Idempotent: days already stored are overwritten, never duplicated.
    """
    if days < 1:
        raise ValueError("days must be 1 or more")
    snapshots = []
    for offset in range(days - 1, -1, -1):
        snapshots.extend(_snapshots_of(until - timedelta(days=offset)))
    return _upsert(snapshots)
