"""Rounding and writing numbers the way people read them."""

from decimal import ROUND_HALF_UP, Decimal


def rounded_half_up(value: Decimal, places: Decimal | str) -> Decimal:
    """``value`` to ``places`` ("0.1"), half up as people round: 0.25 gives 0.3.

    Python's ``round()`` rounds half to even and would give 0.2.
    """
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def plain_decimal(value: Decimal) -> str:
    """75.0 -> "75", 66.70 -> "66.7": no trailing zeros, never an exponent."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def counted(count: int, singular: str, plural: str = "") -> str:
    """``1 day``, ``2 days``: a count with its noun in the right number (English)."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def grouped_decimal(value: Decimal) -> str:
    """1000000.00 -> "1,000,000", 66.70 -> "66.7": the app's one way to write an amount
    (templates: ``floatformat:"-2g"``), thousands grouped and no needless zeros."""
    whole, _, fraction = plain_decimal(value).partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-') or 0):,}"
    return f"{sign}{grouped}" + (f".{fraction}" if fraction else "")
