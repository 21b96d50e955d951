"""The pulse's tests hold answers in the real (embedded) Redis, never a server's keys."""

import uuid

import pytest

from health.pulse import holding
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


@pytest.fixture(autouse=True)
def held_prefix(settings):
    """A key prefix of this test's own: never the held answers of a running server."""
    prefix = f"test-pulse-{uuid.uuid4().hex}"
    settings.PULSE_HELD_KEY_PREFIX = prefix
    client = holding.pulse_redis()  # the real one, even if a test replaces it
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
