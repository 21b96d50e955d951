"""Reporting periods: whole calendar days in the current time zone."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

# The window every report and dashboard opens with.
DEFAULT_PERIOD_DAYS = 90
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class Period:
    """Whole calendar days from ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[start of ``start``, start of the day after ``end``) in the current time zone."""
        zone = timezone.get_current_timezone()
        return (
            timezone.make_aware(datetime.combine(self.start, time.min), zone),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), zone),
        )
