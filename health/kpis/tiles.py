"""Tiles: value, target and 12-week trend of every KPI, as the dashboard shows them."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from health.kpis.base import (
    Kpi,
    KpiScope,
    kpi_value_display,
    kpi_value_parts,
)
from health.kpis.cache import kpi_values
from health.kpis.registry import KPIS
from health.kpis.targets import STATUS_LABELS, kpi_status, kpi_targets_get
from health.models import KpiSnapshot
from psops.ui.charts import sparkline_svg as sparkline_svg_of
from psops.ui.periods import DEFAULT_PERIOD_DAYS

SPARKLINE_WEEKS = 12


@dataclass(frozen=True)
class SparklinePoint:
    day: date  # the last day of the week the point stands for
    value: Decimal | None


@dataclass(frozen=True)
class KpiTile:
    kpi: Kpi
    value: Decimal | None
    display: str
    target: Decimal | None
    status: str  # "on" | "near" | "off" | "none"
    sparkline: list[SparklinePoint] = field(default_factory=list)
    sparkline_svg: SafeString = field(default_factory=lambda: SafeString(""))
    evidence_url: str = ""
    # True when the tile is narrowed (lead, kind, period) but its trend is the snapshots':
    # the whole organization over the default window.
    trend_is_organization_wide: bool = False

    @property
    def value_parts(self) -> tuple[str, str]:
        return kpi_value_parts(unit=self.kpi.unit, value=self.value)

    @property
    def target_display(self) -> str:
        return kpi_value_display(unit=self.kpi.unit, value=self.target)

    @property
    def status_label(self) -> str:
        if self.status == "none" and self.target is not None:
            return "No data"
        return STATUS_LABELS[self.status]


def kpi_evidence_url(*, kpi: Kpi, as_of: date, scope: KpiScope, today: date) -> str:
    """The evidence page of ``kpi`` for the same day and scope as the tile."""
    query = {}
    if scope.lead_id:
        query["lead"] = scope.lead_id
    if scope.kind:
        query["kind"] = scope.kind
    if scope.period_days != DEFAULT_PERIOD_DAYS:
        query["period"] = scope.period_days
    if as_of != today:
        query["as_of"] = as_of.isoformat()
    url = reverse("kpis:kpi_evidence", args=[kpi.key])
    return f"{url}?{urlencode(query)}" if query else url


def _weekly_points(*, keys: Iterable[str], as_of: date) -> dict[str, list[SparklinePoint]]:
    """For each key, 12 weekly points ending on ``as_of``: the latest snapshot in each
    seven-day stretch, None where none was stored. One query for all keys."""
    ends = [
        as_of - timedelta(weeks=SPARKLINE_WEEKS - 1 - index) for index in range(SPARKLINE_WEEKS)
    ]
    first_day = ends[0] - timedelta(days=6)
    latest: dict[tuple[str, int], tuple[date, Decimal | None]] = {}
    snapshots = (
        KpiSnapshot.objects.filter(key__in=list(keys), day__gte=first_day, day__lte=as_of)
        .order_by("day")
        .values_list("key", "day", "value")
    )
    for key, day, value in snapshots:
        week_index = SPARKLINE_WEEKS - 1 - (as_of - day).days // 7
        latest[(key, week_index)] = (day, value)  # ordered by day: the last one wins
    return {
        key: [
            SparklinePoint(day=end, value=latest.get((key, index), (None, None))[1])
            for index, end in enumerate(ends)
        ]
        for key in keys
    }


def sparkline_svg(
    *, kpi: Kpi, points: list[SparklinePoint], organization_wide: bool = False
) -> SafeString:
    """The tile's trend line, labelled with where it went and whether that is better."""
    values = [point.value for point in points]
    present = [value for value in values if value is not None]
    whose = "whole organization, " if organization_wide else ""
    if not present:
        label = f"{kpi.title}: no weekly values recorded in the last {len(points)} weeks yet."
        return sparkline_svg_of(values=values, label=label)
    first_value, last_value = present[0], present[-1]
    if len(present) == 1:
        trend = f"one weekly value so far, {kpi.display(last_value)}"
    else:
        if last_value == first_value:
            direction = "unchanged"
        else:
            rising = last_value > first_value
            better = rising == kpi.higher_is_better
            direction = f"{'up' if rising else 'down'}, {'better' if better else 'worse'}"
        trend = (
            f"from {kpi.display(first_value)} to {kpi.display(last_value)} ({direction}); "
            f"lowest {kpi.display(min(present))}, highest {kpi.display(max(present))}"
        )
    return sparkline_svg_of(
        values=values, label=f"{kpi.title}, {whose}last {len(points)} weeks: {trend}."
    )


def kpi_tiles(*, as_of: date, scope: KpiScope, today: date | None = None) -> list[KpiTile]:
    """Every KPI's tile for ``as_of`` in ``scope``: value, target, status and 12-week trend.

    Targets come in one query and the trends in one (from ``KpiSnapshot``); the values
    come from ``health.kpis.cache`` (one query) unless a write committed since they
    were computed, when each KPI computes its value in its own fixed number of queries.

    Snapshots are stored for the whole organization over the default window only, so
    when ``scope`` narrows a KPI (a team KPI ignores lead and kind) its trend is still
    the organization's, and the tile says so (``trend_is_organization_wide``).
    ``today`` (by default the current date) is the day the data is read on: for
    ``as_of`` on or after it, an un-narrowed trend ends with the live value (fresher
    than the snapshot the night's task stored); a past ``as_of`` shows what the
    snapshots recorded.
    """
    today = today or timezone.localdate()
    targets = kpi_targets_get()
    weekly = _weekly_points(keys=[kpi.key for kpi in KPIS], as_of=as_of)
    values = kpi_values(
        kpis=KPIS, as_of=as_of, scope=scope, compute=lambda kpi: kpi.compute(as_of, scope)
    )
    tiles = []
    for kpi in KPIS:
        value = values[kpi.key]
        target = targets.get(kpi.key)
        points = weekly[kpi.key]
        narrowed = not kpi.effective_scope(scope).is_default
        if not narrowed and as_of >= today:
            points[-1] = SparklinePoint(day=as_of, value=value)
        tiles.append(
            KpiTile(
                kpi=kpi,
                value=value,
                display=kpi.display(value),
                target=target,
                status=kpi_status(
                    value=value, target=target, higher_is_better=kpi.higher_is_better
                ),
                sparkline=points,
                sparkline_svg=sparkline_svg(kpi=kpi, points=points, organization_wide=narrowed),
                evidence_url=kpi_evidence_url(kpi=kpi, as_of=as_of, scope=scope, today=today),
                trend_is_organization_wide=narrowed,
            )
        )
    return tiles
