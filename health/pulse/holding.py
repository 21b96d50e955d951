"""The holding area: answers given but not yet published, outside the database.

A Redis SET per tenant schema and ISO week (unordered; each member the JSON of the
answer plus a random nonce so identical answers stay distinct). See the threat
model in ``health.pulse``.
"""

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection

from health.weeks import IsoWeek

# Held answers of a week nobody settles (no beat running) vanish after this.
HELD_TTL = timedelta(days=21)
_random = secrets.SystemRandom()

# Takes every member of a set, atomically, if it has at least ARGV[1] of them.
_TAKE_SCRIPT = """
if redis.call('SCARD', KEYS[1]) < tonumber(ARGV[1]) then return {} end
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members
"""


@dataclass(frozen=True)
class PulseAnswer:
    team: str
    energy: int
    workload: int
    safety: int
    comment: str


@lru_cache(maxsize=4)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=5)


def pulse_redis() -> redis.Redis:
    """The Redis that holds answers not yet published (the same server as the cache)."""
    return _redis_for(settings.REDIS_CLIENT_URL)


def _key_prefix() -> str:
    # Overridable so that tests never touch the held answers of a running server.
    return getattr(settings, "PULSE_HELD_KEY_PREFIX", "psops:pulse:held")


def held_key(*, schema: str, week: IsoWeek) -> str:
    return f"{_key_prefix()}:{schema}:{week}"


def held_member(answer: PulseAnswer) -> str:
    return json.dumps(
        {
            "team": answer.team,
            "energy": answer.energy,
            "workload": answer.workload,
            "safety": answer.safety,
            "comment": answer.comment,
            "nonce": secrets.token_hex(16),
        },
        sort_keys=True,
    )


def answer_from_member(member: str) -> PulseAnswer:
    data = json.loads(member)
    return PulseAnswer(
        team=str(data["team"]),
        energy=int(data["energy"]),
        workload=int(data["workload"]),
        safety=int(data["safety"]),
        comment=str(data["comment"]),
    )


def held_add(*, key: str, members: Iterable[str]) -> None:
    members = list(members)
    if not members:
        return
    pipe = pulse_redis().pipeline(transaction=True)
    pipe.sadd(key, *members)
    pipe.expire(key, HELD_TTL)
    pipe.execute()


def held_take(*, key: str, at_least: int) -> list[str]:
    take = pulse_redis().register_script(_TAKE_SCRIPT)
    return list(take(keys=[key], args=[at_least]))


def held_weeks() -> list[IsoWeek]:
    """The weeks of the current tenant that have answers in the holding area."""
    prefix = f"{_key_prefix()}:{connection.schema_name}:"  # type: ignore[attr-defined]  # django-tenants'
    weeks = set()
    for key in pulse_redis().scan_iter(match=f"{prefix}*", count=500):
        year, _, week = key.removeprefix(prefix).partition("-W")
        if year.isdigit() and week.isdigit():
            weeks.add(IsoWeek(int(year), int(week)))
    return sorted(weeks)
