"""Budget burn: hours logged against an engagement's ``budget_hours``, and a forecast.

The burn rate is the hours logged in the last four weeks, a week. At that rate the
forecast at the target end date is what is logged plus the rate for each remaining
week; the budget runs out on the day the rate uses up what is left. An engagement
is **off track** when its forecast at the target end passes its budget (the burn
risk and the "budget burn on track" KPI read the same flag). Engagements without a
budget or a target end have a burn but no forecast.

One query for any number of engagements.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from engagements.models import Engagement

RATE_WINDOW_DAYS = 28
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Burn:
    engagement_id: int
    budget_hours: int | None
    logged_hours: Decimal
    weekly_rate: Decimal  # hours a week over the last four weeks
    target_end_date: date | None
    forecast_hours: Decimal | None  # at the target end, at the current rate
    exhausted_on: date | None  # when the budget runs out at the current rate

    @property
    def percent_used(self) -> int | None:
        if not self.budget_hours:
            return None
        return round(100 * self.logged_hours / self.budget_hours)

    @property
    def off_track(self) -> bool:
        return (
            self.budget_hours is not None
            and self.forecast_hours is not None
            and self.forecast_hours > self.budget_hours
        )


def engagement_burns(*, engagement_ids: Iterable[int], today: date) -> dict[int, Burn]:
    ids = list(engagement_ids)
    if not ids:
        return {}
    since = today - timedelta(days=RATE_WINDOW_DAYS - 1)
    hours = DecimalField(max_digits=12, decimal_places=2)
    rows = (
        Engagement.objects.filter(pk__in=ids)
        .annotate(
            logged=Coalesce(
                Sum("effort__hours", filter=Q(effort__worked_on__lte=today)),
                Value(ZERO),
                output_field=hours,
            ),
            recent=Coalesce(
                Sum(
                    "effort__hours",
                    filter=Q(effort__worked_on__gte=since, effort__worked_on__lte=today),
                ),
                Value(ZERO),
                output_field=hours,
            ),
        )
        .values_list("pk", "budget_hours", "target_end_date", "logged", "recent")
    )
    burns = {}
    for pk, budget, target_end, logged, recent in rows:
        rate = (recent * 7 / RATE_WINDOW_DAYS).quantize(Decimal("0.01"))
        forecast = exhausted = None
        if target_end is not None:
            weeks_left = Decimal(max((target_end - today).days, 0)) / 7
            forecast = (logged + rate * weeks_left).quantize(Decimal("0.01"))
        if budget is not None and rate > 0:
            left = Decimal(budget) - logged
            exhausted = today + timedelta(days=max(int(left / rate * 7), 0))
        burns[pk] = Burn(
            engagement_id=pk,
            budget_hours=budget,
            logged_hours=logged,
            weekly_rate=rate,
            target_end_date=target_end,
            forecast_hours=forecast,
            exhausted_on=exhausted,
        )
    return burns
