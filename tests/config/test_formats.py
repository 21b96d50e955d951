"""One way to write a date and a time on every page, in the viewer's time zone."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from engagements.models import Activity
from tests.engagements.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def test_dates_and_times_read_day_month_year():
    rendered = Template('{{ day }} | {{ day|date }} | {{ moment|date:"DATETIME_FORMAT" }}').render(
        Context(
            {
                "day": datetime.date(2026, 11, 23),
                "moment": datetime.datetime(2026, 11, 21, 9, 5, tzinfo=datetime.UTC),
            }
        )
    )
    assert rendered == "23 Nov 2026 | 23 Nov 2026 | 21 Nov 2026, 09:05"


def test_the_engagement_page_shows_one_date_format_in_the_viewers_time_zone(client_for, make_user):
    viewer = make_user(time_zone="America/New_York")
    engagement = EngagementFactory(start_date=datetime.date(2026, 11, 23))
    Activity.objects.create(
        engagement=engagement,
        kind=Activity.Kind.NOTE,
        summary="Kickoff call",
        occurred_at=datetime.datetime(2026, 11, 21, 3, 30, tzinfo=datetime.UTC),
    )

    page = client_for(viewer).get(engagement.get_absolute_url()).content.decode()

    assert "23 Nov 2026" in page
    assert "20 Nov 2026, 22:30" in page  # 03:30 UTC is the evening before in New York
    assert "Nov. 23, 2026" not in page and "2026-11-23" not in page
    timezone.deactivate()
