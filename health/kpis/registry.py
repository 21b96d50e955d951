"""The registry: every KPI, in the order the dashboard shows them."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

from health.kpis import advice, followups, handoffs, pain_points, scaling, team, value
from health.kpis.base import (
    Kpi,
    KpiScope,
)

# The dashboard's order: client outcomes first, then handoffs, then the team.
KPIS: list[Kpi] = [
    *pain_points.KPIS,
    *advice.KPIS,
    *followups.KPIS,
    *handoffs.KPIS,
    *value.KPIS,
    *scaling.KPIS,
    *team.KPIS,
]

_BY_KEY = {kpi.key: kpi for kpi in KPIS}
if len(_BY_KEY) != len(KPIS):
    raise ImproperlyConfigured("Two KPIs share a key.")
KPI_KEYS = frozenset(_BY_KEY)


def kpi_get(key: str) -> Kpi:
    """The KPI with this key; ``KeyError`` for an unknown one."""
    return _BY_KEY[key]


def kpi_compute_all(*, as_of: date, scope: KpiScope) -> dict[str, Decimal | None]:
    return {kpi.key: kpi.compute(as_of, scope) for kpi in KPIS}
