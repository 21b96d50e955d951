"""Fixtures the risk tests share."""

import pytest

from psops.accounts.models import OrganizationSettings


@pytest.fixture(autouse=True)
def org_settings(tenant):
    # Created up front, so that no scan's query count includes creating it.
    return OrganizationSettings.current()
