"""Fixtures every health feature's tests share."""

import pytest

from psops.accounts.models import OrganizationSettings


@pytest.fixture
def set_minimum(tenant):
    """Set the tenant's anonymity minimum (pulse results, check-in summary, team KPIs)."""

    def set_(value: int) -> None:
        OrganizationSettings.objects.update_or_create(id=1, defaults={"pulse_minimum_group": value})

    return set_
