"""The demo looks like a real PS organization: a year of history behind believable KPIs."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from engagements.models import Client, Engagement, FollowUp, PainPoint, Recommendation
from handoffs.models import HandoffPacket, HandoffReview
from health.kpis.base import KpiScope
from health.kpis.registry import KPIS
from psops import demo
from psops.accounts.models import User

pytestmark = pytest.mark.django_db


def test_acme_holds_a_year_of_plausible_history():
    demo.seed()
    today = timezone.localdate()
    with schema_context("acme"):
        assert Client.objects.count() >= 10
        kinds = Counter(Engagement.objects.values_list("kind", flat=True))
        assert sum(kinds.values()) >= 20 and len(kinds) == 2
        assert User.objects.filter(is_active=True).count() >= 20
        assert FollowUp.objects.count() >= 200
        assert PainPoint.objects.count() >= 30
        assert PainPoint.objects.filter(category=PainPoint.Category.SCALING).count() >= 2
        assert Recommendation.objects.exclude(decided_on=None).count() >= 15
        # Handoffs every month of the last year, each reviewed after it was submitted.
        months = {
            (at.year, at.month)
            for at in HandoffReview.objects.values_list("created_at", flat=True)
            if at.date() > today - timedelta(days=365)
        }
        assert len(months) >= 11
        for review in HandoffReview.objects.all():
            assert review.created_at >= review.submitted_at
        assert HandoffPacket.objects.filter(status=HandoffPacket.Status.ACCEPTED).count() >= 10

        values = {kpi.key: kpi.compute(today, KpiScope()) for kpi in KPIS}
    # Believable numbers: neither empty nor perfect.
    assert 70 <= values["followups_on_time"] <= 98, values
    assert 40 <= values["handoff_first_pass"] <= 90, values
    assert 40 <= values["pain_points_resolved_90d"] <= 95, values
    assert 0.5 <= values["median_review_turnaround"] <= 7, values
    assert (
        values["recommendation_adoption"] is not None
        and 30 <= values["recommendation_adoption"] <= 95
    ), values
    assert values["time_to_value"] is not None and values["time_to_value"] > 0, values
    # Team health shows: people read by name by no leader are enough to count.
    assert values["team_energy"] is not None, values
