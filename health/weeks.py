"""ISO weeks: check-ins and pulse answers are kept per ISO week, never per moment.

A week is *closed everywhere* once its Sunday is over in the last time zone on Earth
(UTC-12). Whatever is shown about a week as an aggregate (the pulse results, the
check-in summary, the team KPIs) is shown only for weeks closed everywhere: until then
someone, somewhere, can still add to or change the week, and two successive reads
would differ by exactly their answer.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The last time zone on Earth: a week is closed once its Sunday is over there too.
LAST_TIME_ZONE = ZoneInfo("Etc/GMT+12")


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


def closing_today(now: datetime | None = None) -> date:
    """The date in the last time zone on Earth: a week is closed once this is past Sunday."""
    return (now or datetime.now(UTC)).astimezone(LAST_TIME_ZONE).date()


def closing_day(today: date | None = None) -> date:
    """The day to judge which weeks are closed by, for a reader whose date is ``today``.

    A reader ahead of UTC-12 (nearly everyone) would otherwise see a week as over while
    it is still open somewhere; a past ``today`` (a KPI as of an earlier day) is kept.
    """
    closing = closing_today()
    return closing if today is None else min(today, closing)


def last_closed_week(today: date | None = None) -> IsoWeek:
    """The latest ISO week closed everywhere on Earth, as of ``today`` (default: now)."""
    return IsoWeek.of(closing_day(today)).shifted(-1)


def closed_weeks(*, today: date | None = None, count: int) -> list[IsoWeek]:
    """The last ``count`` ISO weeks closed everywhere as of ``today``, oldest first."""
    return recent_weeks(today=closing_day(today), count=count, include_current=False)
