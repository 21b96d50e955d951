"""People who count toward the pulse's groups."""

import pytest

from psops.accounts.models import Role
from tests.factories import UserFactory
from tests.health.factories import member_since_always


@pytest.fixture
def make_user(tenant):
    """People who count toward the pulse's groups: joined long ago, in their team since.

    Newcomers do not count (``health.groups``); the tests about them make their
    accounts with ``UserFactory`` directly.
    """

    def make(role: str = Role.CONSULTANT, **fields):
        return member_since_always(UserFactory(role=role, **fields))

    return make
