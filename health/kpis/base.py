"""What every KPI is made of: its scope, its evidence, its definition, and the helpers
the KPI families share."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DurationField,
    Q,
    QuerySet,
)

from engagements.models import Engagement
from handoffs.reports import Median
from psops.ui.numbers import plain_decimal, rounded_half_up
from psops.ui.periods import DEFAULT_PERIOD_DAYS, SECONDS_PER_DAY, Period

EVIDENCE_PAGE_SIZE = 50  # rows per evidence page

UNITS = ("%", "days", "count", "per handoff", "of 5")
# How many decimals each unit is computed, stored and shown with.
UNIT_PLACES = {
    "%": Decimal("0.1"),
    "days": Decimal("0.1"),
    "count": Decimal("1"),
    "per handoff": Decimal("0.01"),
    "of 5": Decimal("0.1"),
}


@dataclass(frozen=True)
class KpiScope:
    lead_id: int | None = None
    kind: str = ""
    period_days: int = DEFAULT_PERIOD_DAYS

    @property
    def is_default(self) -> bool:
        """The scope the daily snapshots are computed for: the whole organization."""
        return self == KpiScope()

    def window(self, as_of: date) -> tuple[date, date]:
        return as_of - timedelta(days=self.period_days), as_of

    def period(self, as_of: date) -> Period:
        start, end = self.window(as_of)
        return Period(start=start, end=end)


@dataclass(frozen=True)
class Link:
    """An evidence cell that links to the record it names."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Evidence:
    columns: list[str]
    rows: list[list]
    explanation: str
    page: int = 1  # which EVIDENCE_PAGE_SIZE rows ``rows`` are, counting from 1
    has_next: bool = False  # more rows after these

    @property
    def first_row(self) -> int:
        return (self.page - 1) * EVIDENCE_PAGE_SIZE + 1

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1

    def __post_init__(self) -> None:
        # Days read the same everywhere (2025-03-31), whatever the viewer's locale.
        cells = [[_cell(value) for value in row] for row in self.rows]
        object.__setattr__(self, "rows", cells)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Kpi:
    key: str
    name: str
    description: str  # what it measures and why it is a PS measure
    definition: str  # exactly what is counted, for the evidence page and the targets form
    unit: str
    higher_is_better: bool
    compute: Callable[[date, KpiScope], Decimal | None]
    # evidence(as_of, scope, page=1): the page-th EVIDENCE_PAGE_SIZE rows behind it.
    evidence: Callable[..., Evidence]
    # Which parts of KpiScope narrow this KPI ("lead", "kind"); the window always applies
    # unless ``uses_window`` is False (a count of what stands on the day).
    scoped_by: tuple[str, ...] = ()
    uses_window: bool = True

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}")

    @property
    def title(self) -> str:
        """The name as shown: ``{horizon}`` in it is the organization's scaling horizon."""
        if "{horizon}" not in self.name:
            return self.name
        from psops.accounts.models import OrganizationSettings

        return self.name.format(horizon=OrganizationSettings.current().scaling_horizon_days)

    def display(self, value: Decimal | None) -> str:
        return kpi_value_display(unit=self.unit, value=value)

    def effective_scope(self, scope: KpiScope) -> KpiScope:
        """``scope`` without the parts this KPI ignores (a team KPI ignores them all)."""
        return KpiScope(
            lead_id=scope.lead_id if "lead" in self.scoped_by else None,
            kind=scope.kind if "kind" in self.scoped_by else "",
            period_days=scope.period_days if self.uses_window else DEFAULT_PERIOD_DAYS,
        )


# --- Helpers ------------------------------------------------------------------------------


def percent_of(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return rounded_half_up(Decimal(100 * part) / whole, UNIT_PLACES["%"])


def days_of(duration: timedelta | None) -> Decimal | None:
    if duration is None:
        return None
    return rounded_half_up(
        Decimal(str(duration.total_seconds())) / SECONDS_PER_DAY, UNIT_PLACES["days"]
    )


def kpi_value_parts(*, unit: str, value: Decimal | None) -> tuple[str, str]:
    """The number and what follows it ("75", "%"), so a tile can set the unit smaller."""
    if value is None:
        return "—", ""
    number = plain_decimal(value)
    if unit == "%":
        return number, "%"
    if unit == "days":
        return number, " day" if value == 1 else " days"
    if unit == "count":
        return number, ""
    return number, f" {unit}"


def kpi_value_display(*, unit: str, value: Decimal | None) -> str:
    """A value with its unit, as a tile shows it; "—" when there is nothing to measure."""
    return "".join(kpi_value_parts(unit=unit, value=value))


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def engagement_link(engagement: Engagement) -> Link:
    return Link(f"{engagement.client.name}: {engagement.name}", engagement.get_absolute_url())


def limited(queryset: QuerySet, page: int) -> tuple[list, bool]:
    """The ``page``-th EVIDENCE_PAGE_SIZE rows of ``queryset`` and whether more follow."""
    start = (max(page, 1) - 1) * EVIDENCE_PAGE_SIZE
    rows = list(queryset[start : start + EVIDENCE_PAGE_SIZE + 1])
    return rows[:EVIDENCE_PAGE_SIZE], len(rows) > EVIDENCE_PAGE_SIZE


def engagement_filter(scope: KpiScope, prefix: str = "engagement__") -> Q:
    """Rows whose engagement (reached through ``prefix``) is in the scope's lead and kind."""
    condition = Q()
    if scope.lead_id:
        condition &= Q(**{f"{prefix}lead_id": scope.lead_id})
    if scope.kind:
        condition &= Q(**{f"{prefix}kind": scope.kind})
    return condition


def packet_filter(scope: KpiScope, prefix: str) -> Q:
    return Q(**{f"{prefix}engagement_kind": scope.kind}) if scope.kind else Q()


def window_text(scope: KpiScope, as_of: date) -> str:
    start, end = scope.window(as_of)
    return f"{start} to {end}"


ENGAGEMENT_SCOPE = ("lead", "kind")
HANDOFF_SCOPE = ("kind",)


def median_days(queryset: QuerySet, expression) -> tuple[int, Decimal | None]:
    result = queryset.aggregate(
        n=Count("id"), median=Median(expression, output_field=DurationField())
    )
    return result["n"], days_of(result["median"])
