"""Answering the pulse and publishing the answers: see the threat model in ``health.pulse``."""

import logging
import secrets
import uuid
from collections import Counter
from dataclasses import replace
from datetime import date, datetime

import redis
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from health.anonymity import pulse_groups_fold, pulse_minimum, pulse_minimums
from health.groups import anonymity_changes_sync, first_week_counted, team_for_week
from health.models import PulseParticipation, PulseResponse
from health.pulse.holding import (
    PulseAnswer,
    answer_from_member,
    held_add,
    held_key,
    held_member,
    held_take,
    held_weeks,
    pulse_redis,
)
from health.weeks import IsoWeek, closing_today
from psops.accounts.models import User

logger = logging.getLogger(__name__)

COMMENT_MAX_LENGTH = 2000
_random = secrets.SystemRandom()


class PulseAlreadyAnswered(ValidationError):
    pass


class PulseNotCountedYet(ValidationError):
    """The person does not count toward any group this week (``health.groups``)."""


class PulseUnavailable(Exception):
    """The holding area cannot be reached: nothing was recorded."""


def pulse_closing_today(now: datetime | None = None) -> date:
    """The date in the last time zone on Earth: a week is closed once this is past Sunday.

    The same rule as the check-in summary and the team KPIs (``health.weeks``).
    """
    return closing_today(now)


def _answer_validated(*, team: str, energy, workload, safety, comment: str) -> PulseAnswer:
    errors = {}
    scores = {"energy": energy, "workload": workload, "safety": safety}
    for name, value in scores.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            errors[name] = ["Choose 1 to 5."]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = [f"Keep the comment under {COMMENT_MAX_LENGTH} characters."]
    if errors:
        raise ValidationError(errors)
    return PulseAnswer(team=(team or "").strip(), comment=comment, **scores)


def pulse_answered(*, user: User, week: IsoWeek) -> bool:
    return PulseParticipation.objects.filter(
        user=user, iso_year=week.year, iso_week=week.week
    ).exists()


def already_answered_message(week: IsoWeek) -> str:
    return (
        f"You have already answered the pulse for week {week}: one answer per person per "
        "week. Your first answer stands."
    )


def not_counted_yet_message(*, user: User, week: IsoWeek) -> str:
    first = first_week_counted(user=user, week=week)
    return (
        f"Your pulse answers count from week {first}. Answers are published only in groups "
        "of people who were already members of them before the week began, so that "
        "nobody's answer can be read off a group made up around them."
    )


def pulse_submit(
    *, user: User, week: IsoWeek, energy: int, workload: int, safety: int, comment: str = ""
) -> None:
    """Record that ``user`` answered ``week`` and hold their answer, without their name.

    The answer counts for the team ``user`` belongs to for ``week`` (``health.groups``),
    not the team set today. The participation row commits on its own; only then is the
    answer added to the holding area (and published if the week now holds enough
    answers). Raises ``ValidationError`` for bad input, ``PulseNotCountedYet`` for a
    newcomer, ``PulseAlreadyAnswered`` for a second answer in the week and
    ``PulseUnavailable`` when the holding area is down; in each case nothing is
    recorded.
    """
    answer = _answer_validated(
        team="", energy=energy, workload=workload, safety=safety, comment=comment
    )
    anonymity_changes_sync()
    team = team_for_week(user=user, week=week)
    if team is None:
        raise PulseNotCountedYet(not_counted_yet_message(user=user, week=week))
    answer = replace(answer, team=team)
    if pulse_answered(user=user, week=week):
        raise PulseAlreadyAnswered(already_answered_message(week))
    try:
        pulse_redis().ping()
    except redis.RedisError as error:
        raise PulseUnavailable from error
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants'
    member = held_member(answer)
    try:
        with transaction.atomic():
            PulseParticipation.objects.create(user=user, iso_year=week.year, iso_week=week.week)
            transaction.on_commit(
                lambda: _hold_and_publish(schema=schema, week=week, member=member, user_id=user.pk)
            )
    except IntegrityError as error:  # the same person answering twice at once
        raise PulseAlreadyAnswered(already_answered_message(week)) from error


def _hold_and_publish(*, schema: str, week: IsoWeek, member: str, user_id: int) -> None:
    with schema_context(schema):
        try:
            held_add(key=held_key(schema=schema, week=week), members=[member])
        except redis.RedisError as error:
            # Nothing is held, so the person has not answered: let them try again.
            PulseParticipation.objects.filter(
                user_id=user_id, iso_year=week.year, iso_week=week.week
            ).delete()
            raise PulseUnavailable from error
        try:
            pulse_week_publish(week=week)
        except Exception:
            # The answers are back in the holding area; the hourly job tries again.
            logger.exception("Publishing the pulse answers of %s failed", week)


def pulse_week_publish(*, week: IsoWeek, minimum: int | None = None) -> int:
    """Publish the held answers of ``week`` if there are at least the minimum.

    Returns how many answers were published (0 when too few are held). The minimum is
    the one in force for ``week``.
    """
    minimum = minimum or pulse_minimum(week)
    key = held_key(schema=connection.schema_name, week=week)  # type: ignore[attr-defined]  # django-tenants'
    members = held_take(key=key, at_least=minimum)
    if not members:
        return 0
    return _publish(week=week, key=key, members=members, minimum=minimum)


def _publish(*, week: IsoWeek, key: str, members: list[str], minimum: int) -> int:
    try:
        new_answers = [answer_from_member(member) for member in members]
        with transaction.atomic():
            _week_rewrite(week=week, new_answers=new_answers, minimum=minimum)
    except BaseException:
        held_add(key=key, members=members)
        raise
    return len(members)


def _week_rewrite(*, week: IsoWeek, new_answers: list[PulseAnswer], minimum: int) -> None:
    """Replace the week's rows by all of its answers, in one batch: see the docstring."""
    with connection.cursor() as cursor:
        # Two publishers of the same week would each keep the other's rows twice.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"psops.pulse:{connection.schema_name}:{week}"],  # type: ignore[attr-defined]  # django-tenants'
        )
    rows = PulseResponse.objects.filter(iso_year=week.year, iso_week=week.week)
    answers = [
        PulseAnswer(*values)
        for values in rows.values_list("team", "energy", "workload", "safety", "comment")
    ]
    answers += new_answers
    fold = pulse_groups_fold(counts=Counter(answer.team for answer in answers), minimum=minimum)
    _random.shuffle(answers)
    rows.delete()
    PulseResponse.objects.bulk_create(
        PulseResponse(
            id=uuid.uuid4(),
            iso_year=week.year,
            iso_week=week.week,
            team=fold.label(answer.team),
            energy=answer.energy,
            workload=answer.workload,
            safety=answer.safety,
            comment=answer.comment,
        )
        for answer in answers
    )


def pulse_held_settle(*, today: date | None = None) -> dict[str, int]:
    """Publish every held week that reached the minimum; discard closed weeks below it.

    Idempotent: a second run finds nothing left to publish or discard.
    """
    today = today or pulse_closing_today()
    weeks = held_weeks()
    minimums = pulse_minimums(weeks=weeks)
    published = discarded = 0
    for week in weeks:
        minimum = minimums[week]
        if not week.is_closed(today):
            published += pulse_week_publish(week=week, minimum=minimum)
            continue
        key = held_key(schema=connection.schema_name, week=week)  # type: ignore[attr-defined]  # django-tenants'
        members = held_take(key=key, at_least=0)
        if len(members) >= minimum:
            published += _publish(week=week, key=key, members=members, minimum=minimum)
        else:
            discarded += len(members)
    return {"published": published, "discarded": discarded}
