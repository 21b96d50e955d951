"""The pulse's tests hold answers in the real (embedded) Redis, never a server's keys."""

import uuid

import pytest

from health.pulse import holding


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
