"""REDIS_URL as Celery writes it, turned into what redis-py and a second database need."""

import pytest

from psops.redis_urls import redis_client_url, redis_url_with_database


@pytest.mark.parametrize(
    ("celery_url", "client_url"),
    [
        ("redis+socket:///data/redis.sock", "unix:///data/redis.sock"),
        ("redis+socket:///data/redis.sock?virtual_host=3", "unix:///data/redis.sock?db=3"),
        (
            "redis+socket:///data/redis.sock?timeout=5&virtual_host=3",
            "unix:///data/redis.sock?timeout=5&db=3",
        ),
        ("redis://cache:6379/1", "redis://cache:6379/1"),
        ("rediss://:secret@cache:6380/0", "rediss://:secret@cache:6380/0"),
    ],
)
def test_redis_py_reads_the_same_server_and_database(celery_url, client_url):
    assert redis_client_url(celery_url) == client_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis+socket:///data/redis.sock", "redis+socket:///data/redis.sock?virtual_host=2"),
        (
            "redis+socket:///data/redis.sock?virtual_host=0",
            "redis+socket:///data/redis.sock?virtual_host=2",
        ),
        ("redis://cache:6379/0", "redis://cache:6379/2"),
        ("redis://cache:6379", "redis://cache:6379/2"),
        (
            "redis://:secret@cache:6379/0?ssl_cert_reqs=none",
            "redis://:secret@cache:6379/2?ssl_cert_reqs=none",
        ),
    ],
)
def test_another_database_of_the_same_server(url, expected):
    assert redis_url_with_database(url, 2) == expected


def test_celery_and_redis_py_agree_on_the_database():
    from celery import Celery

    url = redis_url_with_database("redis+socket:///tmp/psops-test.sock", 5)

    assert Celery(broker=url, backend=url).backend.connparams["db"] == 5
    assert redis_client_url(url) == "unix:///tmp/psops-test.sock?db=5"
