"""When does a growing metric hit its capacity? One pure function, shared by the
pain point page and the scaling risk scan.

Growth is compound: ``value(t) = current * (1 + g)^t`` with ``t`` in months, so
capacity is reached after ``ln(capacity / current) / ln(1 + g)`` months.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from django.utils.formats import date_format

HORIZON_MONTHS = 60  # beyond five years a projection says nothing useful
DAYS_PER_MONTH = 365.2425 / 12


class ProjectionState(StrEnum):
    ALREADY_OVER = "already_over"
    REACHED = "reached"
    NOT_WITHIN_HORIZON = "not_within_horizon"


@dataclass(frozen=True)
class CapacityProjection:
    state: ProjectionState
    months: float | None = None
    reached_on: date | None = None

    @property
    def text(self) -> str:
        if self.state is ProjectionState.ALREADY_OVER:
            return "already over capacity"
        if self.state is ProjectionState.NOT_WITHIN_HORIZON:
            return "not within 5 years"
        around = f", around {date_format(self.reached_on)}" if self.reached_on else ""
        return f"capacity reached in about {self.months:.1f} months{around}"

    def days_from(self, today: date) -> int | None:
        if self.reached_on is None:
            return None
        return (self.reached_on - today).days


def capacity_projection(
    *,
    current: Decimal | float,
    capacity: Decimal | float,
    monthly_growth_pct: Decimal | float,
    today: date,
) -> CapacityProjection:
    """Project when ``current`` reaches ``capacity`` growing ``monthly_growth_pct`` % a month.

    Raises ``ValueError`` for numbers that describe no scaling problem: a capacity
    of zero or less, a current value of zero or less (it would never grow), or a
    negative growth rate.
    """
    current, capacity, growth = float(current), float(capacity), float(monthly_growth_pct)
    if capacity <= 0:
        raise ValueError("capacity must be above 0")
    if current <= 0:
        raise ValueError("current value must be above 0")
    if growth < 0:
        raise ValueError("monthly growth must be 0 or more")
    if current >= capacity:
        return CapacityProjection(ProjectionState.ALREADY_OVER, months=0.0, reached_on=today)
    if growth == 0:
        return CapacityProjection(ProjectionState.NOT_WITHIN_HORIZON)
    months = math.log(capacity / current) / math.log1p(growth / 100)
    if months > HORIZON_MONTHS:
        return CapacityProjection(ProjectionState.NOT_WITHIN_HORIZON)
    reached_on = today + timedelta(days=round(months * DAYS_PER_MONTH))
    return CapacityProjection(ProjectionState.REACHED, months=months, reached_on=reached_on)
