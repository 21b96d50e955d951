"""Held pulse answers move from Redis to PostgreSQL, sealed.

Answers given before this migration waited in Redis, which loses them on a restart.
Each tenant's migration moves the ones still held for its schema into the new table,
sealed like every later answer, and deletes them from Redis. A Redis that cannot be
reached holds nothing that could be moved: it is reported and skipped.
"""

import json
import logging
import re
import uuid

import redis
from django.conf import settings
from django.db import migrations, models

LEGACY_PREFIX = "psops:pulse:held"
logger = logging.getLogger(__name__)


def held_answers_from_redis(apps, schema_editor):
    from health.pulse.holding import PulseAnswer, seal
    from health.weeks import IsoWeek

    held = apps.get_model("health", "HeldPulseAnswer")
    schema = schema_editor.connection.schema_name
    prefix = f"{LEGACY_PREFIX}:{schema}:"
    client = redis.Redis.from_url(
        settings.REDIS_CLIENT_URL, decode_responses=True, socket_connect_timeout=2, socket_timeout=5
    )
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        for key in keys:
            found = re.fullmatch(r"(\d{4})-W(\d{2})", key.removeprefix(prefix))
            if not found:
                continue
            week = IsoWeek(int(found[1]), int(found[2]))
            for member in client.smembers(key):
                data = json.loads(member)
                answer = PulseAnswer(
                    team=str(data["team"]),
                    energy=int(data["energy"]),
                    workload=int(data["workload"]),
                    safety=int(data["safety"]),
                    comment=str(data["comment"]),
                )
                held.objects.create(
                    iso_year=week.year,
                    iso_week=week.week,
                    sealed=seal(answer, schema=schema, week=week),
                )
        # Deleted once the rows are in; the migration's transaction commits them.
        schema_editor.connection.on_commit(lambda: keys and client.delete(*keys))
    except redis.RedisError as error:
        logger.warning("Held pulse answers in Redis not moved for %s: %s", schema, error)


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0003_anonymity_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="HeldPulseAnswer",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("iso_year", models.PositiveSmallIntegerField()),
                ("iso_week", models.PositiveSmallIntegerField()),
                ("sealed", models.BinaryField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["iso_year", "iso_week"], name="health_held_iso_yea_3d6db0_idx"
                    )
                ],
            },
        ),
        migrations.RunPython(held_answers_from_redis, migrations.RunPython.noop),
    ]
