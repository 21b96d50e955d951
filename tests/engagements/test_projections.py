"""``capacity_projection``: when a metric growing by a monthly percentage hits its limit."""

import math
from datetime import date, timedelta
from decimal import Decimal

import pytest

from engagements.projections import ProjectionState, capacity_projection

TODAY = date(2026, 11, 22)
# The average Gregorian month; used here to check the function's date independently.
DAYS_PER_MONTH = 365.2425 / 12


def project(current, capacity, growth, today=TODAY):
    return capacity_projection(
        current=current, capacity=capacity, monthly_growth_pct=growth, today=today
    )


class TestTheSpecExample:
    """1,000 today, capacity 1,500, growing 9.2 % a month from 2026-11-22."""

    def test_it_reads_as_about_four_point_six_months_in_mid_april_2027(self):
        projection = project(1000, 1500, 9.2)

        assert projection.state is ProjectionState.REACHED
        assert projection.reached_on == date(2027, 4, 11)
        assert projection.text == "capacity reached in about 4.6 months, around 11 Apr 2027"
        assert projection.days_from(TODAY) == 140

    def test_the_date_agrees_with_compound_growth(self):
        projection = project(1000, 1500, 9.2)

        # Solve 1000 * 1.092^t = 1500 by bisection, not by the function's own logarithms.
        low, high = 0.0, 60.0
        for _ in range(200):
            middle = (low + high) / 2
            low, high = (middle, high) if 1000 * 1.092**middle < 1500 else (low, middle)
        assert projection.months == pytest.approx(low, abs=1e-9)
        assert low == pytest.approx(4.607, abs=0.001)
        assert projection.reached_on == TODAY + timedelta(days=round(low * DAYS_PER_MONTH))

    def test_growth_at_the_projected_month_lands_on_capacity(self):
        projection = project(1000, 1500, 9.2)

        assert 1000 * 1.092**projection.months == pytest.approx(1500)
        # A month earlier it was still well below capacity.
        assert 1000 * 1.092 ** (projection.months - 1) < 1400

    def test_decimal_inputs_give_the_same_answer_as_floats(self):
        from_decimals = project(Decimal("1000.00"), Decimal("1500.00"), Decimal("9.20"))

        assert from_decimals == project(1000.0, 1500.0, 9.2)
        assert from_decimals.text == "capacity reached in about 4.6 months, around 11 Apr 2027"


class TestAlreadyOverCapacity:
    @pytest.mark.parametrize("current", [1500, 1501, Decimal("99999.99")])
    def test_at_or_over_capacity_is_already_over_today(self, current):
        projection = project(current, 1500, 9.2)

        assert projection.state is ProjectionState.ALREADY_OVER
        assert projection.text == "already over capacity"
        assert projection.reached_on == TODAY
        assert projection.days_from(TODAY) == 0

    def test_already_over_even_with_zero_growth(self):
        assert project(2000, 1500, 0).state is ProjectionState.ALREADY_OVER


class TestBeyondTheFiveYearHorizon:
    def test_zero_growth_never_reaches_capacity(self):
        projection = project(1000, 1500, 0)

        assert projection.state is ProjectionState.NOT_WITHIN_HORIZON
        assert projection.text == "not within 5 years"
        assert projection.reached_on is None
        assert projection.days_from(TODAY) is None

    def test_growth_so_slow_it_passes_sixty_months(self):
        # 0.5 % a month takes about 81 months to grow 1,000 into 1,500.
        assert math.log(1.5) / math.log(1.005) > 80

        projection = project(1000, 1500, Decimal("0.5"))

        assert projection.state is ProjectionState.NOT_WITHIN_HORIZON
        assert projection.text == "not within 5 years"
        assert projection.reached_on is None

    def test_exactly_sixty_months_is_still_within_five_years(self):
        # Doubling every month, 1 reaches 2**60 after exactly 60 months (exact in floats).
        projection = project(1, 2**60, 100)

        assert projection.state is ProjectionState.REACHED
        assert projection.months == 60.0
        assert projection.reached_on == date(2031, 11, 22)
        assert projection.text == "capacity reached in about 60.0 months, around 22 Nov 2031"

    def test_one_month_past_the_horizon_is_not_within_five_years(self):
        assert project(1, 2**61, 100).state is ProjectionState.NOT_WITHIN_HORIZON
        assert project(1, 2**59, 100).reached_on == TODAY + timedelta(
            days=round(59 * DAYS_PER_MONTH)
        )


class TestNumbersThatDescribeNoScalingProblem:
    @pytest.mark.parametrize("capacity", [0, -1, Decimal("0.00")])
    def test_capacity_must_be_above_zero(self, capacity):
        with pytest.raises(ValueError, match="capacity must be above 0"):
            project(1000, capacity, 9.2)

    @pytest.mark.parametrize("current", [0, -5, Decimal("0.00")])
    def test_current_value_must_be_above_zero(self, current):
        with pytest.raises(ValueError, match="current value must be above 0"):
            project(current, 1500, 9.2)

    @pytest.mark.parametrize("growth", [-0.01, -9.2, Decimal("-1")])
    def test_growth_cannot_be_negative(self, growth):
        with pytest.raises(ValueError, match="monthly growth must be 0 or more"):
            project(1000, 1500, growth)


class TestTheStoredDaysToCapacity:
    """``PainPoint.days_to_capacity``, kept by the database, is the function's answer."""

    def expected(self, point) -> int | None:
        try:
            projection = project(point.current_value, point.capacity, point.monthly_growth_pct)
        except (TypeError, ValueError):
            return None
        return projection.days_from(TODAY)

    @pytest.mark.django_db
    def test_it_agrees_with_the_function_to_the_day_on_random_numbers(self, tenant):
        import random

        from engagements.models import PainPoint
        from tests.engagements.factories import EngagementFactory

        engagement = EngagementFactory()
        rng = random.Random(20261203)
        points = []
        for index in range(3000):
            capacity = Decimal(rng.randint(1, 10**9)) / 100
            current = (capacity * Decimal(rng.uniform(0.001, 1.3))).quantize(Decimal("0.01"))
            growth = Decimal(rng.choice([0, rng.randint(1, 9999), rng.randint(1, 300)])) / 100
            points.append(
                PainPoint(
                    engagement=engagement,
                    title=f"Wall {index}",
                    category=PainPoint.Category.SCALING,
                    metric_name="Orders",
                    current_value=max(current, Decimal("0.01")),
                    capacity=capacity,
                    monthly_growth_pct=growth,
                )
            )
        PainPoint.objects.bulk_create(points)

        stored = list(PainPoint.objects.filter(engagement=engagement))
        assert len(stored) == 3000
        mismatched = [p for p in stored if p.days_to_capacity != self.expected(p)]
        assert mismatched == []
        # The sample covers every case: over, reached within five years, beyond them.
        days = [p.days_to_capacity for p in stored]
        assert 0 in days and None in days and any(d and d > 365 for d in days)

    @pytest.mark.django_db
    def test_every_write_path_keeps_it_current(self, tenant):
        from engagements.models import PainPoint
        from tests.engagements.factories import PainPointFactory

        point = PainPointFactory(
            scaling=True, current_value=1000, capacity=1500, monthly_growth_pct=Decimal("9.2")
        )
        point.refresh_from_db()
        assert point.days_to_capacity == 140  # the spec example above

        PainPoint.objects.filter(pk=point.pk).update(current_value=1600)  # a bulk write
        point.refresh_from_db()
        assert point.days_to_capacity == 0

        point.monthly_growth_pct, point.current_value = Decimal(0), Decimal(1000)
        point.save()
        point.refresh_from_db()
        assert point.days_to_capacity is None

    @pytest.mark.django_db
    def test_pain_points_without_numbers_have_none(self, tenant):
        from tests.engagements.factories import PainPointFactory

        point = PainPointFactory()
        point.refresh_from_db()
        assert point.days_to_capacity is None
