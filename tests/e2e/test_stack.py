"""The browser stack's own database and Redis database: never the app's."""

from datetime import UTC, datetime

import pytest

from tests.e2e.stack import Stack, start_of_next_week
from tests.servers import with_database


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql:///psops?host=/srv/pg", "postgresql:///psops_e2e?host=/srv/pg"),
        (
            "postgresql://postgres@/psops?host=/srv/pg",
            "postgresql://postgres@/psops_e2e?host=/srv/pg",
        ),
        ("postgres://u:p@db:5432/psops", "postgres://u:p@db:5432/psops_e2e"),
        ("postgres://db/psops?sslmode=require", "postgres://db/psops_e2e?sslmode=require"),
    ],
)
def test_the_database_name_is_swapped_and_nothing_else(url, expected):
    assert with_database(url, "psops_e2e") == expected


def test_the_stack_gets_its_own_databases_on_the_same_servers():
    stack = Stack.on_servers_of(
        database_url="postgres://db/psops", redis_url="redis+socket:///srv/redis.sock"
    )

    assert stack.database_url == "postgres://db/psops_e2e"
    assert stack.redis_url == "redis+socket:///srv/redis.sock?virtual_host=2"
    assert stack.port != stack.later_port


def test_it_refuses_to_drop_the_apps_own_databases(monkeypatch):
    monkeypatch.setenv("PSOPS_E2E_DATABASE", "psops")
    with pytest.raises(ValueError, match="must not be the app's database"):
        Stack.on_servers_of(database_url="postgres://db/psops", redis_url="redis://r:6379/0")

    monkeypatch.setenv("PSOPS_E2E_DATABASE", "psops_e2e")
    with pytest.raises(ValueError, match="must not be the app's Redis database 2"):
        Stack.on_servers_of(database_url="postgres://db/psops", redis_url="redis://r:6379/2")


@pytest.mark.parametrize(
    ("now", "turn"),
    [
        (datetime(2026, 11, 22, 23, 59, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)),
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)),
        (datetime(2026, 11, 25, 12, 0, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)),
    ],
)
def test_the_week_turns_on_monday_midnight_utc(now, turn):
    assert start_of_next_week(now) == turn
