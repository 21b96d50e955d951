"""The holding area: answers given but not yet published, sealed in PostgreSQL.

A ``HeldPulseAnswer`` row per answer, written in the same transaction as the person's
``PulseParticipation``: "you answered this week" and the answer survive or vanish
together, whatever restarts. The row holds no person, no time and a random key; its
content is sealed with AES-GCM under a key derived from ``SECRET_KEY`` and padded to one
fixed length, so a database reader without the key learns neither an answer nor the
length of a comment. The tenant schema and the week are bound into the seal, so a row
copied to another tenant or week does not open. See the threat model in
``health.pulse``.
"""

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from health.weeks import IsoWeek

# Every sealed answer is padded to this many bytes before sealing: a comment of
# COMMENT_MAX_LENGTH characters, each escaped to at most six bytes, and a team of 100
# fit with room to spare.
PADDED_LENGTH = 16384
_NONCE_BYTES = 12
_KEY_PURPOSE = b"psops.pulse.held-answers.v1"


@dataclass(frozen=True)
class PulseAnswer:
    team: str
    energy: int
    workload: int
    safety: int
    comment: str


class HeldAnswerUnreadable(Exception):
    """A held answer opens with none of the keys: ``SECRET_KEY`` changed without a fallback."""


@lru_cache(maxsize=8)
def _key(secret: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_PURPOSE).derive(
        secret.encode()
    )
    return AESGCM(derived)


def _keys() -> list[AESGCM]:
    """The current key first, then those of ``SECRET_KEY_FALLBACKS`` (a key rotation)."""
    return [_key(secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


def _bound(*, schema: str, week: IsoWeek) -> bytes:
    return f"{schema}:{week}".encode()


def seal(answer: PulseAnswer, *, schema: str, week: IsoWeek) -> bytes:
    plain = json.dumps(asdict(answer), ensure_ascii=False, sort_keys=True).encode()
    if len(plain) > PADDED_LENGTH:  # pragma: no cover - the form's limits keep it shorter
        raise ValueError("A pulse answer longer than the padded length cannot be sealed.")
    padded = plain + b" " * (PADDED_LENGTH - len(plain))
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + _keys()[0].encrypt(nonce, padded, _bound(schema=schema, week=week))


def unseal(sealed: bytes | memoryview, *, schema: str, week: IsoWeek) -> PulseAnswer:
    raw = bytes(sealed)
    nonce, body = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for key in _keys():
        try:
            padded = key.decrypt(nonce, body, _bound(schema=schema, week=week))
        except InvalidTag:
            continue
        data = json.loads(padded.rstrip(b" "))
        return PulseAnswer(
            team=str(data["team"]),
            energy=int(data["energy"]),
            workload=int(data["workload"]),
            safety=int(data["safety"]),
            comment=str(data["comment"]),
        )
    raise HeldAnswerUnreadable(
        f"A held pulse answer of {week} opens with no key: was SECRET_KEY changed without "
        "keeping the old one in SECRET_KEY_FALLBACKS?"
    )


def unseal_all(
    sealed: Iterable[bytes | memoryview], *, schema: str, week: IsoWeek
) -> list[PulseAnswer]:
    return [unseal(item, schema=schema, week=week) for item in sealed]
