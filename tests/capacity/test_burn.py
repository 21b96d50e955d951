from datetime import date, timedelta
from decimal import Decimal

import pytest

from capacity.burn import engagement_burns
from tests.capacity.factories import EffortEntryFactory
from tests.engagements.factories import EngagementFactory

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 1)


def test_a_forecast_past_the_budget_is_off_track(tenant):
    engagement = EngagementFactory(budget_hours=100, target_end_date=TODAY + timedelta(weeks=4))
    EffortEntryFactory(engagement=engagement, worked_on=TODAY - timedelta(days=60), hours=24)
    for days_ago in range(0, 28, 7):  # 8 h a week for the last four weeks... twice
        EffortEntryFactory(
            engagement=engagement, worked_on=TODAY - timedelta(days=days_ago), hours=8
        )
        EffortEntryFactory(
            engagement=engagement, worked_on=TODAY - timedelta(days=days_ago), hours=8
        )
    EffortEntryFactory(engagement=engagement, worked_on=TODAY + timedelta(days=1), hours=8)
    burn = engagement_burns(engagement_ids=[engagement.pk], today=TODAY)[engagement.pk]
    assert burn.logged_hours == Decimal("88.00")  # tomorrow's entry does not count yet
    assert burn.weekly_rate == Decimal("16.00")
    assert burn.forecast_hours == Decimal("152.00")  # 88 + 4 weeks x 16
    assert burn.off_track and burn.percent_used == 88
    assert burn.exhausted_on == TODAY + timedelta(days=5)  # 12 h left at 16 h a week


def test_on_track_without_a_budget_or_effort(tenant):
    quiet = EngagementFactory(budget_hours=100)
    unbudgeted = EngagementFactory(budget_hours=None)
    EffortEntryFactory(engagement=unbudgeted, worked_on=TODAY, hours=10)
    burns = engagement_burns(engagement_ids=[quiet.pk, unbudgeted.pk], today=TODAY)
    assert burns[quiet.pk].logged_hours == 0 and not burns[quiet.pk].off_track
    assert burns[quiet.pk].exhausted_on is None
    assert burns[unbudgeted.pk].percent_used is None and not burns[unbudgeted.pk].off_track


def test_one_query_for_many_engagements(tenant, django_assert_num_queries):
    engagements = EngagementFactory.create_batch(5)
    for engagement in engagements:
        EffortEntryFactory(engagement=engagement, worked_on=TODAY)
    with django_assert_num_queries(1):
        engagement_burns(engagement_ids=[e.pk for e in engagements], today=TODAY)
