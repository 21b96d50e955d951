"""Answering the pulse and publishing the answers: see the threat model in ``health.pulse``."""

import logging
import secrets
import uuid
from collections import Counter
from dataclasses import replace
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from health.anonymity import pulse_groups_fold, pulse_minimum, pulse_minimums
from health.groups import anonymity_changes_sync, first_week_counted, team_for_week
from health.models import HeldPulseAnswer, PulseParticipation, PulseResponse
from health.pulse.holding import PulseAnswer, seal, unseal_all
from health.weeks import IsoWeek, closing_today
from psops.accounts.models import User
from psops.audit.context import audit_context

logger = logging.getLogger(__name__)

COMMENT_MAX_LENGTH = 2000
_random = secrets.SystemRandom()


class PulseAlreadyAnswered(ValidationError):
    pass


class PulseNotCountedYet(ValidationError):
    """The person does not count toward any group this week (``health.groups``)."""


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
    not the team set today. The participation row and the sealed held answer commit
    together (one survives only with the other); once committed, the week is published
    if it now holds enough answers. Raises ``ValidationError`` for bad input,
    ``PulseNotCountedYet`` for a newcomer and ``PulseAlreadyAnswered`` for a second
    answer in the week; in each case nothing is recorded.

    The audit trail records none of the pulse's tables; what else answering writes
    (the team memberships it brings up to date) is recorded as the pulse's upkeep,
    without the person, their address or the request: an entry must not say who
    answered, nor when.
    """
    with audit_context(PULSE_UPKEEP):
        _pulse_submit(
            user=user, week=week, energy=energy, workload=workload, safety=safety, comment=comment
        )


PULSE_UPKEEP = {"kind": "job", "label": "pulse upkeep", "origin": "pulse"}


def _pulse_submit(
    *, user: User, week: IsoWeek, energy: int, workload: int, safety: int, comment: str
) -> None:
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
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants'
    try:
        with transaction.atomic():
            PulseParticipation.objects.create(user=user, iso_year=week.year, iso_week=week.week)
            HeldPulseAnswer.objects.create(
                iso_year=week.year,
                iso_week=week.week,
                sealed=seal(answer, schema=schema, week=week),
            )
            transaction.on_commit(lambda: _publish_if_due(schema=schema, week=week))
    except IntegrityError as error:  # the same person answering twice at once
        raise PulseAlreadyAnswered(already_answered_message(week)) from error


def _publish_if_due(*, schema: str, week: IsoWeek) -> None:
    with schema_context(schema):
        try:
            pulse_week_publish(week=week)
        except Exception:
            # The answers stay held; the hourly job tries again.
            logger.exception("Publishing the pulse answers of %s failed", week)


def pulse_week_publish(*, week: IsoWeek, minimum: int | None = None) -> int:
    """Publish the held answers of ``week`` if there are at least the minimum.

    Returns how many answers were published (0 when too few are held). The minimum is
    the one in force for ``week``. Taking the held answers and rewriting the week are
    one transaction: a failure leaves everything held.
    """
    minimum = minimum or pulse_minimum(week)
    with transaction.atomic():
        _week_lock(week)
        held = _held(week)
        if len(held) < minimum:
            return 0
        _publish(week=week, held=held, minimum=minimum)
    return len(held)


def _week_lock(week: IsoWeek) -> None:
    with connection.cursor() as cursor:
        # Two publishers of the same week would each keep the other's rows twice.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"psops.pulse:{connection.schema_name}:{week}"],  # type: ignore[attr-defined]  # django-tenants'
        )


def _held(week: IsoWeek) -> list[tuple[uuid.UUID, bytes | memoryview]]:
    return list(
        HeldPulseAnswer.objects.filter(iso_year=week.year, iso_week=week.week).values_list(
            "id", "sealed"
        )
    )


def _publish(
    *, week: IsoWeek, held: list[tuple[uuid.UUID, bytes | memoryview]], minimum: int
) -> None:
    schema = connection.schema_name  # type: ignore[attr-defined]  # django-tenants'
    new_answers = unseal_all((sealed for _, sealed in held), schema=schema, week=week)
    HeldPulseAnswer.objects.filter(pk__in=[pk for pk, _ in held]).delete()
    _week_rewrite(week=week, new_answers=new_answers, minimum=minimum)


def _week_rewrite(*, week: IsoWeek, new_answers: list[PulseAnswer], minimum: int) -> None:
    """Replace the week's rows by all of its answers, in one batch: see the docstring."""
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

    A closed week below the minimum is never published: its answers are deleted, as the
    form tells people before they answer. Idempotent: a second run finds nothing left
    to publish or discard.
    """
    today = today or pulse_closing_today()
    weeks = [
        IsoWeek(year, week)
        for year, week in HeldPulseAnswer.objects.values_list("iso_year", "iso_week")
        .distinct()
        .order_by("iso_year", "iso_week")
    ]
    minimums = pulse_minimums(weeks=weeks)
    published = discarded = 0
    for week in weeks:
        with transaction.atomic():
            _week_lock(week)
            held = _held(week)
            if len(held) >= minimums[week]:
                _publish(week=week, held=held, minimum=minimums[week])
                published += len(held)
            elif week.is_closed(today):
                HeldPulseAnswer.objects.filter(pk__in=[pk for pk, _ in held]).delete()
                discarded += len(held)
    return {"published": published, "discarded": discarded}
