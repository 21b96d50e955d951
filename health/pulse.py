"""The anonymous pulse: energy, workload, psychological safety and a free comment.

Services (writes) and selectors (reads) of the pulse, in one module because every
function here serves one promise: **nobody, leaders and database readers included,
can tell what a given person answered.**

Threat model
============

Protected against: a reader of the database at any moment (SQL access, a dump, a
backup, a replica, a tenant admin with a database console, the Django admin). Such
a reader sees ``PulseParticipation`` (who answered which week, one row each, in the
order and transactions in which people answered) and ``PulseResponse`` (the answers).
Nothing joins the two:

- Columns: an answer has no user, no session, no timestamp (only the ISO week) and a
  random UUID key; the holding area (below) keeps no user either.
- Row order, keys and transaction ids: an answer is never written when it is given.
  It waits in a holding area outside the database until at least the tenant's
  minimum have arrived; then the whole week is rewritten in ONE transaction (that
  week's rows deleted, every answer of the week inserted again in a random order
  with fresh uuid4 keys). The table therefore only ever holds one batch per week:
  one ``xmin`` for all of its rows, different from every participation's, and a
  physical order (``ctid``) and key order that are random, not the answer order.
- Timing: the database write happens only when a batch completes, so it says "one
  of these N people" (N >= the minimum), never "the person who answered at 10:02".
- The team column: a team is a quasi-identifier (with one person from team X
  answering, the row with team X is theirs, and ``User.team`` says who that is). So
  the team of an answer is stored only when the team shows under its own name by
  the display rules below; every other answer is stored with an empty team (the
  "Other teams" group), and every stored group has at least the minimum. Once
  folded, an answer's team is gone for good: later batches never restore it.
- Results: counts and averages only for closed weeks and for groups of at least
  the minimum, with the subtraction guard below; comments only under a group that
  is shown, in random order.

Not protected against (residual risks, by design or out of reach of this code):

- Someone who watches the system while people answer: Redis ``MONITOR`` or
  repeated reads of the holding area, the application server's memory or request
  logs, PostgreSQL statement logs. Such an observer sees answers as they arrive.
- A reader of the holding area AND the database at the same moment: the held
  answers (fewer than the minimum) belong to the people whose participation rows
  came after the last batch. The holding area must be treated like process memory:
  do not back it up, and prefer a Redis without persistence (the embedded
  development Redis saves snapshots to ``.data/redis``).
- Successive states of the database: repeated dumps, WAL archives or not yet
  vacuumed dead rows keep earlier batches, so their difference tells which answers
  arrived in which batch (each of at least the minimum, but a team label can
  narrow a batch's part further).
- The comment text itself (style, details). The form says so.

Rules as implemented
====================

- One answer per person per week: a ``PulseParticipation`` row (unique per user and
  week, holding no answer) is written in its own transaction; only after it commits
  is the answer added to the holding area. A second answer is refused.
- Holding area: a Redis SET per tenant schema and ISO week (unordered; each member
  the JSON of the answer plus a random nonce so identical answers stay distinct).
- Publishing: as soon as a week holds at least the minimum, all of its held
  answers are taken atomically (a Lua script: SMEMBERS + DEL) and the week is
  rewritten as above. If the database write fails they are put back.
- Closing: a week is over when its Sunday is over everywhere on Earth (UTC-12, the
  last time zone), so nobody can still add to a week whose results are shown. The
  hourly job ``pulse_publish`` publishes weeks that reached the minimum and
  discards the held answers of closed weeks below it (the form tells people).
- Results: only for closed weeks; nothing, not even a count, for a week still open
  or a week with fewer answers than the minimum. Per team: a team with fewer than
  the minimum answers is folded into "Other teams" (with people without a team);
  "Other teams" is shown only with at least the minimum. Subtraction guard: if the
  answers not shown under a team's name number between 1 and minimum - 1, the total
  minus the teams shown would reveal them, so the smallest team shown is folded in
  with them, again and again, until they reach the minimum or no team is left
  (then only the overall result is shown).
"""

import json
import logging
import secrets
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache, reduce
from itertools import pairwise
from operator import or_

import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django_tenants.utils import schema_context

from health.models import PulseParticipation, PulseResponse
from health.weeks import IsoWeek, closing_today, recent_weeks
from psops.accounts.models import OrganizationSettings, User

logger = logging.getLogger(__name__)

SCORES = ("energy", "workload", "safety")
SCORE_LABELS = {"energy": "Energy", "workload": "Workload", "safety": "Psychological safety"}
COMMENT_MAX_LENGTH = 2000
# Stored team of the answers shown together as "Other teams" (folded, or no team).
OTHER = ""
OTHER_LABEL = "Other teams"
RESULT_WEEKS = 12
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


class PulseAlreadyAnswered(ValidationError):
    pass


class PulseUnavailable(Exception):
    """The holding area cannot be reached: nothing was recorded."""


@dataclass(frozen=True)
class PulseAnswer:
    team: str
    energy: int
    workload: int
    safety: int
    comment: str


# --- The holding area ------------------------------------------------------------------


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


def _held_member(answer: PulseAnswer) -> str:
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


def _answer_from_member(member: str) -> PulseAnswer:
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


def _held_take(*, key: str, at_least: int) -> list[str]:
    take = pulse_redis().register_script(_TAKE_SCRIPT)
    return list(take(keys=[key], args=[at_least]))


def held_weeks() -> list[IsoWeek]:
    """The weeks of the current tenant that have answers in the holding area."""
    prefix = f"{_key_prefix()}:{connection.schema_name}:"
    weeks = set()
    for key in pulse_redis().scan_iter(match=f"{prefix}*", count=500):
        year, _, week = key.removeprefix(prefix).partition("-W")
        if year.isdigit() and week.isdigit():
            weeks.add(IsoWeek(int(year), int(week)))
    return sorted(weeks)


# --- Clock and settings ----------------------------------------------------------------


def pulse_closing_today(now: datetime | None = None) -> date:
    """The date in the last time zone on Earth: a week is closed once this is past Sunday.

    The same rule as the check-in summary and the team KPIs (``health.weeks``).
    """
    return closing_today(now)


def pulse_minimum() -> int:
    """The tenant's anonymity minimum (read only: no settings row is created)."""
    stored = OrganizationSettings.objects.filter(id=1).values_list("pulse_minimum_group", flat=True)
    default = OrganizationSettings._meta.get_field("pulse_minimum_group").default
    # Never below 3, whatever the row says.
    return max(3, next(iter(stored), default))


# --- Folding small groups --------------------------------------------------------------


@dataclass(frozen=True)
class PulseFold:
    """Which groups of a week may be shown, by the rules in the module docstring."""

    minimum: int
    total: int
    shown_teams: tuple[str, ...]
    other_count: int
    folded_small: bool
    folded_for_subtraction: bool

    @property
    def overall_shown(self) -> bool:
        return self.total >= self.minimum

    @property
    def breakdown_shown(self) -> bool:
        return bool(self.shown_teams)

    @property
    def other_shown(self) -> bool:
        return self.breakdown_shown and self.other_count > 0

    def label(self, team: str) -> str:
        """The stored team of an answer from ``team``: its own, or ``OTHER``."""
        return team if team in self.shown_teams else OTHER


def pulse_groups_fold(*, counts: Mapping[str, int], minimum: int) -> PulseFold:
    """Fold small teams into "Other teams" and guard against subtraction.

    ``counts`` maps a team (``OTHER`` for answers without one) to its number of
    answers. A team is shown under its name with at least ``minimum`` answers. The
    rest ("Other teams") must then be empty or reach ``minimum`` too: otherwise the
    total minus the teams shown would give it away, so the smallest team shown
    (ties by name, so the result is stable) joins it until it does. If no team is
    left, there is no breakdown, only the overall result.
    """
    total = sum(counts.values())
    if total < minimum:
        return PulseFold(minimum, total, (), total, False, False)
    shown = {team for team, n in counts.items() if team != OTHER and n >= minimum}
    folded_small = any(team != OTHER and 0 < n < minimum for team, n in counts.items())
    folded_for_subtraction = False
    while shown:
        rest = total - sum(counts[team] for team in shown)
        if rest == 0 or rest >= minimum:
            break
        shown.remove(min(shown, key=lambda team: (counts[team], team)))
        folded_for_subtraction = True
    rest = total - sum(counts[team] for team in shown)
    return PulseFold(
        minimum, total, tuple(sorted(shown)), rest, folded_small, folded_for_subtraction
    )


# --- Services ----------------------------------------------------------------------------


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


def pulse_submit(
    *, user: User, week: IsoWeek, energy: int, workload: int, safety: int, comment: str = ""
) -> None:
    """Record that ``user`` answered ``week`` and hold their answer, without their name.

    The participation row commits on its own; only then is the answer added to the
    holding area (and published if the week now holds enough answers). Raises
    ``ValidationError`` for bad input, ``PulseAlreadyAnswered`` for a second answer in
    the week and ``PulseUnavailable`` when the holding area is down; in each case
    nothing is recorded.
    """
    answer = _answer_validated(
        team=user.team, energy=energy, workload=workload, safety=safety, comment=comment
    )
    if pulse_answered(user=user, week=week):
        raise PulseAlreadyAnswered(already_answered_message(week))
    try:
        pulse_redis().ping()
    except redis.RedisError as error:
        raise PulseUnavailable from error
    schema = connection.schema_name
    member = _held_member(answer)
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

    Returns how many answers were published (0 when too few are held).
    """
    minimum = minimum or pulse_minimum()
    key = held_key(schema=connection.schema_name, week=week)
    members = _held_take(key=key, at_least=minimum)
    if not members:
        return 0
    return _publish(week=week, key=key, members=members, minimum=minimum)


def _publish(*, week: IsoWeek, key: str, members: list[str], minimum: int) -> int:
    try:
        new_answers = [_answer_from_member(member) for member in members]
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
            [f"psops.pulse:{connection.schema_name}:{week}"],
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
    minimum = pulse_minimum()
    published = discarded = 0
    for week in held_weeks():
        if not week.is_closed(today):
            published += pulse_week_publish(week=week, minimum=minimum)
            continue
        key = held_key(schema=connection.schema_name, week=week)
        members = _held_take(key=key, at_least=0)
        if len(members) >= minimum:
            published += _publish(week=week, key=key, members=members, minimum=minimum)
        else:
            discarded += len(members)
    return {"published": published, "discarded": discarded}


# --- Selectors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PulseScores:
    n: int
    energy: float
    workload: float
    safety: float

    @classmethod
    def of(cls, sums: Iterable[Mapping[str, int]]) -> "PulseScores":
        sums = list(sums)
        n = sum(row["n"] for row in sums)
        return cls(n, *(sum(row[score] for row in sums) / n for score in SCORES))


@dataclass
class PulseGroup:
    label: str
    scores: PulseScores
    is_other: bool = False
    comments: list[str] = field(default_factory=list)


@dataclass
class PulseWeekResults:
    """One week as leaders may see it. ``state``: "open", "too_few" or "shown"."""

    week: IsoWeek
    state: str
    minimum: int
    overall: PulseGroup | None = None
    groups: list[PulseGroup] = field(default_factory=list)
    fold: PulseFold | None = None

    @property
    def breakdown_withheld_for_subtraction(self) -> bool:
        return bool(
            self.fold and not self.fold.breakdown_shown and self.fold.folded_for_subtraction
        )

    @property
    def comments_under_overall(self) -> bool:
        return bool(self.overall and not self.groups)


def pulse_results_for_weeks(
    *, weeks: Sequence[IsoWeek], minimum: int, today: date, with_comments: bool = True
) -> list[PulseWeekResults]:
    """Results of ``weeks`` (in the order given) in at most two queries.

    ``today`` is the reader's date; a week counts as closed only once it is closed
    everywhere too, so a reader's time zone never shows a week early.
    """
    closing_day = min(today, pulse_closing_today())
    closed = [week for week in weeks if week.is_closed(closing_day)]
    sums: dict[IsoWeek, dict[str, dict]] = {week: {} for week in closed}
    if closed:
        rows = (
            PulseResponse.objects.filter(_weeks_q(closed))
            .values("iso_year", "iso_week", "team")
            .annotate(n=Count("id"), **{score: Sum(score) for score in SCORES})
            .order_by()
        )
        for row in rows:
            sums[IsoWeek(row["iso_year"], row["iso_week"])][row["team"]] = row

    results: dict[IsoWeek, PulseWeekResults] = {}
    for week in weeks:
        if week not in sums:
            results[week] = PulseWeekResults(week, "open", minimum)
            continue
        by_team = sums[week]
        fold = pulse_groups_fold(
            counts={team: row["n"] for team, row in by_team.items()}, minimum=minimum
        )
        if not fold.overall_shown:
            results[week] = PulseWeekResults(week, "too_few", minimum)
            continue
        groups = [PulseGroup(team, PulseScores.of([by_team[team]])) for team in fold.shown_teams]
        if fold.other_shown:
            other = [row for team, row in by_team.items() if team not in fold.shown_teams]
            groups.append(PulseGroup(OTHER_LABEL, PulseScores.of(other), is_other=True))
        overall = PulseGroup("All teams", PulseScores.of(by_team.values()))
        results[week] = PulseWeekResults(week, "shown", minimum, overall, groups, fold)

    if with_comments:
        _comments_attach([result for result in results.values() if result.state == "shown"])
    return [results[week] for week in weeks]


def _weeks_q(weeks: Iterable[IsoWeek]) -> Q:
    return reduce(or_, (Q(iso_year=week.year, iso_week=week.week) for week in weeks))


def _comments_attach(results: list[PulseWeekResults]) -> None:
    """Each comment under the smallest group shown that holds it, in random order."""
    if not results:
        return
    by_week = {result.week: result for result in results}
    comments = (
        PulseResponse.objects.filter(_weeks_q(by_week))
        .exclude(comment="")
        .values_list("iso_year", "iso_week", "team", "comment")
    )
    for year, week_number, team, comment in comments:
        result = by_week[IsoWeek(year, week_number)]
        if not result.groups:
            target = result.overall
        elif team in result.fold.shown_teams:
            target = next(group for group in result.groups if group.label == team)
        else:
            target = result.groups[-1]  # "Other teams", shown: the fold guarantees it
        target.comments.append(comment)
    for result in results:
        for group in [result.overall, *result.groups]:
            _random.shuffle(group.comments)


def pulse_results(*, week: IsoWeek, minimum: int, today: date | None = None) -> PulseWeekResults:
    """The results of one week: nothing while it is open or below ``minimum``."""
    today = today or pulse_closing_today()
    return pulse_results_for_weeks(weeks=[week], minimum=minimum, today=today)[0]


@dataclass(frozen=True)
class PulseSummary:
    """The leader dashboard's pulse: the latest closed week with results, and its trend."""

    week: IsoWeek
    scores: PulseScores
    minimum: int
    previous_week: IsoWeek
    previous: PulseScores | None

    @property
    def trend(self) -> dict[str, float] | None:
        if self.previous is None:
            return None
        return {
            score: round(getattr(self.scores, score) - getattr(self.previous, score), 1)
            for score in SCORES
        }

    @property
    def rows(self) -> list[dict]:
        """Label, average and change since the week before, per score, for templates."""
        trend = self.trend
        return [
            {
                "label": SCORE_LABELS[score],
                "value": getattr(self.scores, score),
                "delta": trend[score] if trend else None,
            }
            for score in SCORES
        ]


def pulse_dashboard_summary(*, today: date) -> PulseSummary | None:
    """The latest closed week with results in the last 12, with the week before it."""
    minimum = pulse_minimum()
    weeks = recent_weeks(today=today, count=RESULT_WEEKS + 1, include_current=False)
    results = pulse_results_for_weeks(
        weeks=weeks, minimum=minimum, today=today, with_comments=False
    )
    for previous, latest in reversed(list(pairwise(results))):
        if latest.overall:
            return PulseSummary(
                week=latest.week,
                scores=latest.overall.scores,
                minimum=minimum,
                previous_week=previous.week,
                previous=previous.overall.scores if previous.overall else None,
            )
    return None
