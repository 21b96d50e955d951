"""Fixtures the KPI tests share."""

import pytest

from tests.engagements.factories import EngagementFactory


@pytest.fixture
def engagement(tenant):
    return EngagementFactory()
