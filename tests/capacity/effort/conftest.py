"""An engagement the consultant leads, one they are on the team of, one they are not on,
and a past week whose seven days are all over (so no day is "still to come")."""

from datetime import timedelta

import pytest
from django.utils import timezone

from capacity.hours import monday_of
from tests.engagements.factories import (
    ClientFactory,
    EngagementFactory,
    PainPointFactory,
    RecommendationFactory,
)

TODAY = timezone.localdate()
LAST_MONDAY = monday_of(TODAY) - timedelta(weeks=1)
HTMX = {"HX-Request": "true"}


def day(n: int):
    """The ``n``-th day (0 = Monday) of last week."""
    return LAST_MONDAY + timedelta(days=n)


@pytest.fixture
def led(consultant, leader):
    return EngagementFactory(
        name="Warehouse rollout", client=ClientFactory(name="Northwind"), lead=consultant
    )


@pytest.fixture
def teamed(consultant, leader):
    return EngagementFactory(
        name="Billing upgrade", client=ClientFactory(name="Contoso"), lead=leader, team=[consultant]
    )


@pytest.fixture
def elsewhere(leader):
    return EngagementFactory(
        name="Fabrikam migration", client=ClientFactory(name="Fabrikam"), lead=leader
    )


@pytest.fixture
def pain_point(led):
    return PainPointFactory(engagement=led, title="Slow picking")


@pytest.fixture
def recommendation(led):
    return RecommendationFactory(engagement=led, title="Add a cache")
