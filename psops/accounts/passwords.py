"""How hard a new password is to guess, checked offline (AUTH_PASSWORD_VALIDATORS).

Django's own validators refuse the 20,000 most common passwords exactly as
listed, so ``Passw0rd!`` (a common word with predictable substitutions and a
symbol tacked on) gets through. zxcvbn estimates how many guesses a password
takes, knowing dictionaries of common passwords, names and English words, keyboard
patterns, dates, repeats and l33t substitutions, and needs no network: the app
must work on a closed network, so an online breach list (Have I Been Pwned) is no
option. Its dictionaries ship inside the package.
"""

import re

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection
from zxcvbn import zxcvbn

# zxcvbn's scale: 0 too guessable, 1 very, 2 somewhat, 3 safely unguessable
# (about 10^8 guesses and more: resists an online attack and slows an offline one),
# 4 very unguessable.
MINIMUM_SCORE = 3
# zxcvbn's matching grows faster than linearly with length; beyond this many
# characters a password is long enough that its head alone decides the score.
CHECKED_LENGTH = 100


def _known_words(user: AbstractBaseUser | None) -> list[str]:
    """What an attacker knows about this person and their organization."""
    tenant = getattr(connection, "tenant", None)
    texts = [
        getattr(user, "email", "") or "",
        getattr(user, "full_name", "") or "",
        getattr(tenant, "name", "") or "",
        getattr(tenant, "slug", "") or "",
    ]
    words = {word for text in texts for word in re.split(r"[\W_]+", text.lower()) if word}
    return sorted(words | {text.lower() for text in texts if text})


class GuessabilityValidator:
    """Refuse passwords that zxcvbn scores below ``minimum_score``, saying why."""

    def __init__(self, minimum_score: int = MINIMUM_SCORE) -> None:
        self.minimum_score = minimum_score

    def validate(self, password: str, user: AbstractBaseUser | None = None) -> None:
        result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=_known_words(user))
        if result["score"] >= self.minimum_score:
            return
        feedback = result["feedback"]
        advice = [feedback.get("warning"), *feedback.get("suggestions", [])]
        reasons = " ".join(part for part in advice if part)
        raise ValidationError(
            "This password is too easy to guess. %(reasons)s",
            code="password_too_guessable",
            params={"reasons": reasons or "Add another word or two; uncommon words are better."},
        )

    def get_help_text(self) -> str:
        return (
            "Your password must be hard to guess: a few unrelated words work better than "
            "a word with numbers and symbols."
        )
