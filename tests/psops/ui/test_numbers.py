"""Numbers as people read them, and whole-day periods in the tenant's time zone."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from psops.ui.numbers import grouped_decimal, plain_decimal, rounded_half_up
from psops.ui.periods import Period


def test_half_rounds_up_as_people_round_not_to_even():
    assert rounded_half_up(Decimal("0.25"), "0.1") == Decimal("0.3")
    assert rounded_half_up(Decimal("2.5"), "1") == Decimal("3")
    assert round(Decimal("0.25"), 1) == Decimal("0.2")  # what it saves us from


def test_plain_decimals_have_no_trailing_zeros_or_exponent():
    assert plain_decimal(Decimal("75.0")) == "75"
    assert plain_decimal(Decimal("66.70")) == "66.7"
    assert plain_decimal(Decimal("1E+2")) == "100"
    assert plain_decimal(Decimal("-0.0")) == "0"


def test_a_period_counts_both_ends_and_bounds_whole_local_days():
    period = Period(start=date(2025, 3, 1), end=date(2025, 3, 31))

    with timezone.override(ZoneInfo("Europe/Berlin")):
        start, end = period.bounds()

    assert period.days == 31
    assert start.isoformat() == "2025-03-01T00:00:00+01:00"
    assert end.isoformat() == "2025-04-01T00:00:00+02:00"  # summer time began on the 30th


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1000000.00", "1,000,000"),
        ("52000", "52,000"),
        ("66.70", "66.7"),
        ("999", "999"),
        ("-1234.5", "-1,234.5"),
        ("0.00", "0"),
    ],
)
def test_amounts_are_grouped_without_needless_zeros(value, text):
    assert grouped_decimal(Decimal(value)) == text
