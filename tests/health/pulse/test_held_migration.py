"""Answers still held in Redis when 0004 runs move into PostgreSQL, sealed."""

import importlib
import json
import secrets
import uuid

import pytest
import redis
from django.apps import apps
from django.conf import settings
from django.db import connection

from health.models import HeldPulseAnswer
from health.pulse import holding
from health.weeks import IsoWeek

pytestmark = pytest.mark.django_db

migration = importlib.import_module("health.migrations.0004_held_pulse_answers")
WEEK = IsoWeek(2024, 10)


class _SchemaEditor:
    connection = connection


def test_answers_held_in_redis_before_the_migration_are_kept(
    tenant, django_capture_on_commit_callbacks, monkeypatch
):
    # A prefix of this test's own, so that no running server's keys are touched.
    prefix = f"test-legacy-pulse-{uuid.uuid4().hex}"
    monkeypatch.setattr(migration, "LEGACY_PREFIX", prefix)
    client = redis.Redis.from_url(settings.REDIS_CLIENT_URL, decode_responses=True)
    key = f"{prefix}:{connection.schema_name}:{WEEK}"
    elsewhere = f"{prefix}:another_tenant:{WEEK}"
    member = {"team": "Delivery", "energy": 2, "workload": 4, "safety": 5, "comment": "kept"}
    client.sadd(key, *(json.dumps({**member, "nonce": secrets.token_hex(16)}) for _ in range(2)))
    client.sadd(elsewhere, json.dumps({**member, "nonce": "x"}))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            migration.held_answers_from_redis(apps, _SchemaEditor())

        sealed = HeldPulseAnswer.objects.filter(iso_year=2024, iso_week=10)
        answers = holding.unseal_all(
            sealed.values_list("sealed", flat=True), schema=connection.schema_name, week=WEEK
        )
        assert answers == [holding.PulseAnswer(**member)] * 2
        assert not client.exists(key)
        assert client.exists(elsewhere)  # another tenant's answers wait for its migration
    finally:
        client.delete(key, elsewhere)


def test_an_unreachable_redis_does_not_stop_the_migration(tenant, settings):
    settings.REDIS_CLIENT_URL = "unix:///nonexistent/redis.sock"

    migration.held_answers_from_redis(apps, _SchemaEditor())

    assert not HeldPulseAnswer.objects.exists()
