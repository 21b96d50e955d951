"""Fixtures every health feature's tests share."""

import pytest
from django.utils import timezone

from health.groups import SINCE_ALWAYS
from health.models import AnonymityMinimum
from psops.accounts.models import OrganizationSettings


def minimum_set_since_always(value: int) -> None:
    """The anonymity minimum, asked for and in force for every week.

    A changed minimum takes effect only from the week after the change was seen
    (``health.groups``); tests about what a minimum does set it in force directly.
    """
    OrganizationSettings.objects.update_or_create(id=1, defaults={"pulse_minimum_group": value})
    AnonymityMinimum.objects.update_or_create(
        from_year=SINCE_ALWAYS.year,
        from_week=SINCE_ALWAYS.week,
        defaults={"value": value, "recorded_at": timezone.now()},
    )


@pytest.fixture
def set_minimum(tenant):
    """Set the tenant's anonymity minimum (pulse results, check-in summary, team KPIs)."""
    return minimum_set_since_always
