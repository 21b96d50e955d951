"""When does a growing metric hit its capacity? One pure function, shared by the
pain point page and the scaling risk scan, and the same formula as a database
expression, stored on each pain point so that the scaling-walls KPI is an indexed count.

Growth is compound: ``value(t) = current * (1 + g)^t`` with ``t`` in months, so
capacity is reached after ``ln(capacity / current) / ln(1 + g)`` months.

Both forms run the same IEEE double operations in the same order (each number cast
to a double, then ``ln``, divide, multiply, round half to even), so they agree to the
day; ``tests/engagements/test_projections.py`` holds them to it on random numbers.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from django.db.models import Case, F, FloatField, IntegerField, Q, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Ln, Round
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
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
    months = math.log(capacity / current) / math.log(1 + growth / 100)
    if months > HORIZON_MONTHS:
        return CapacityProjection(ProjectionState.NOT_WITHIN_HORIZON)
    reached_on = today + timedelta(days=round(months * DAYS_PER_MONTH))
    return CapacityProjection(ProjectionState.REACHED, months=months, reached_on=reached_on)


def days_to_capacity_expression() -> Case:
    """``capacity_projection(...).days_from(today)`` as SQL, for a generated column.

    0 when already over capacity; the days until capacity when it is reached within
    ``HORIZON_MONTHS``; NULL when it is not, or when the numbers describe no scaling
    problem (missing, zero or negative), where the function raises instead.
    """

    def double(expression: Combinable) -> Cast:
        return Cast(expression, FloatField())

    current, capacity = double(F("current_value")), double(F("capacity"))
    growth = double(F("monthly_growth_pct"))
    months = Ln(capacity / current) / Ln(Value(1.0) + growth / Value(100.0))
    valid = Q(current_value__gt=0, capacity__gt=0, monthly_growth_pct__gte=0)
    return Case(
        When(valid & GreaterThanOrEqual(current, capacity), then=Value(0)),
        When(
            valid & Q(monthly_growth_pct__gt=0),
            then=Case(
                When(
                    LessThanOrEqual(months, Value(float(HORIZON_MONTHS))),
                    then=Cast(Round(months * Value(DAYS_PER_MONTH)), IntegerField()),
                ),
                default=None,
            ),
        ),
        default=None,
        output_field=IntegerField(),
    )
