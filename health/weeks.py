"""ISO weeks: check-ins and pulse answers are kept per ISO week, never per moment."""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def of(cls, day: date) -> "IsoWeek":
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shifted(self, weeks: int) -> "IsoWeek":
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def is_closed(self, today: date) -> bool:
        """A week is closed once its Sunday is over."""
        return today > self.sunday

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def recent_weeks(*, today: date, count: int, include_current: bool = True) -> list[IsoWeek]:
    """The last ``count`` ISO weeks, oldest first."""
    last = IsoWeek.of(today) if include_current else IsoWeek.of(today).shifted(-1)
    return [last.shifted(-offset) for offset in range(count - 1, -1, -1)]
