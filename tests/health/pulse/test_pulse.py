"""The anonymous pulse: every rule of ``health.pulse``, one test (or more) each.

Held answers wait sealed in the test database like any other row. Most tests run
inside the test's transaction, so the callbacks that run after a commit are run by
``django_capture_on_commit_callbacks``; the test
about transaction ids and row order needs real commits and runs the pulse on a
connection of its own (a thread), cleaning up what it committed.
"""

import random
import re
import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from health import anonymity
from health.models import AnonymityMinimum, HeldPulseAnswer, PulseParticipation, PulseResponse
from health.pulse import holding, selectors, services
from health.pulse.tasks import pulse_publish
from health.weeks import IsoWeek
from psops.accounts.models import OrganizationSettings, Role, User
from tests.factories import UserFactory
from tests.health.factories import member_since_always

pytestmark = pytest.mark.django_db

WEEK = IsoWeek(2024, 10)
DURING = WEEK.monday + timedelta(days=2)  # Wednesday of WEEK: open
AFTER = WEEK.sunday + timedelta(days=2)  # Tuesday after WEEK: closed everywhere


# --- Fixtures and helpers ----------------------------------------------------------------


@pytest.fixture
def answer(django_capture_on_commit_callbacks, make_user):
    """Answer the pulse as a new person of ``team`` (or as ``user``), commit included."""

    def submit(*, user=None, team="", week=WEEK, energy=3, workload=3, safety=3, comment=""):
        user = user or make_user(team=team)
        with django_capture_on_commit_callbacks(execute=True):
            services.pulse_submit(
                user=user,
                week=week,
                energy=energy,
                workload=workload,
                safety=safety,
                comment=comment,
            )
        return user

    return submit


def held(week: IsoWeek = WEEK) -> list[holding.PulseAnswer]:
    """The answers of ``week`` still waiting to be published, unsealed."""
    sealed = HeldPulseAnswer.objects.filter(iso_year=week.year, iso_week=week.week)
    return holding.unseal_all(
        sealed.values_list("sealed", flat=True), schema=connection.schema_name, week=week
    )


def rows(week: IsoWeek = WEEK):
    return PulseResponse.objects.filter(iso_year=week.year, iso_week=week.week)


def publish_rows(week: IsoWeek, teams: dict[str, int], *, score: int = 3) -> None:
    """Published answers straight into the table: ``teams`` maps a team to a count."""
    PulseResponse.objects.bulk_create(
        PulseResponse(
            iso_year=week.year,
            iso_week=week.week,
            team=team,
            energy=score,
            workload=score,
            safety=score,
            comment=f"comment from {team or 'no team'} #{number}",
        )
        for team, count in teams.items()
        for number in range(count)
    )


def labels(result) -> dict[str, int]:
    return {group.label: group.scores.n for group in result.groups}


# --- Storage: nothing points back to a person --------------------------------------------


def test_no_column_of_an_answer_can_point_to_a_person_or_a_moment(tenant):
    columns = {
        column.name
        for column in connection.introspection.get_table_description(
            connection.cursor(), PulseResponse._meta.db_table
        )
    }
    assert columns == {
        "id",
        "iso_year",
        "iso_week",
        "team",
        "energy",
        "workload",
        "safety",
        "comment",
    }
    fields = PulseResponse._meta.get_fields()
    assert not [f for f in fields if f.is_relation]
    assert not [f for f in fields if f.get_internal_type() in {"DateTimeField", "DateField"}]
    assert PulseResponse._meta.pk.get_internal_type() == "UUIDField"
    assert PulseResponse._meta.ordering == []
    # The participation says who answered which week, and nothing about the answer.
    participation = {f.name for f in PulseParticipation._meta.get_fields()}
    assert participation == {"id", "user", "iso_year", "iso_week"}


def test_a_held_answer_is_sealed_padded_and_carries_no_person(answer, tenant):
    first = answer(team="Delivery", energy=4, comment="same")
    answer(team="Delivery", energy=4, comment="same")
    answer(team="Delivery", energy=2, comment="a much longer comment " * 90)

    columns = {
        column.name
        for column in connection.introspection.get_table_description(
            connection.cursor(), HeldPulseAnswer._meta.db_table
        )
    }
    assert columns == {"id", "iso_year", "iso_week", "sealed"}
    sealed = [bytes(value) for value in HeldPulseAnswer.objects.values_list("sealed", flat=True)]
    assert len(sealed) == 3
    # A database reader sees three blobs of one length: not the answers, not the
    # length of a comment, not that two answers are the same.
    assert len({len(value) for value in sealed}) == 1
    assert len(set(sealed)) == 3
    for value in sealed:
        assert b"same" not in value and b"Delivery" not in value
        assert first.email.encode() not in value
    assert sorted(answer.energy for answer in held()) == [2, 4, 4]
    assert {answer.team for answer in held()} == {"Delivery"}
    assert rows().count() == 0  # nothing published yet


def test_a_held_answer_opens_only_with_the_secret_key_its_tenant_and_its_week(
    answer, tenant, settings
):
    answer(energy=5, comment="only with the key")
    schema = connection.schema_name
    (sealed,) = HeldPulseAnswer.objects.values_list("sealed", flat=True)

    assert holding.unseal(sealed, schema=schema, week=WEEK).comment == "only with the key"
    with pytest.raises(holding.HeldAnswerUnreadable):
        holding.unseal(sealed, schema="another_tenant", week=WEEK)
    with pytest.raises(holding.HeldAnswerUnreadable):
        holding.unseal(sealed, schema=schema, week=WEEK.shifted(1))

    # A rotated key keeps the old one as a fallback: held answers still open.
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-after-a-rotation-" + "x" * 40
    with pytest.raises(holding.HeldAnswerUnreadable):
        holding.unseal(sealed, schema=schema, week=WEEK)
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert holding.unseal(sealed, schema=schema, week=WEEK).energy == 5


def test_a_second_answer_in_the_same_week_is_refused_and_the_first_stands(answer):
    person = answer(energy=2)

    with pytest.raises(services.PulseAlreadyAnswered) as refused:
        answer(user=person, energy=5)

    assert "already answered the pulse for week 2024-W10" in refused.value.messages[0]
    assert PulseParticipation.objects.filter(user=person).count() == 1
    assert [held_answer.energy for held_answer in held()] == [2]
    # The next week is a new pulse.
    answer(user=person, week=WEEK.shifted(1))
    assert len(held(WEEK.shifted(1))) == 1


def test_the_database_refuses_a_second_participation_even_past_the_service(answer):
    from django.db import IntegrityError, transaction

    person = answer()

    with pytest.raises(IntegrityError), transaction.atomic():
        PulseParticipation.objects.create(user=person, iso_year=WEEK.year, iso_week=WEEK.week)


def test_nothing_is_published_until_the_minimum_then_all_at_once(answer):
    for number in range(4):
        answer(energy=number + 1)
        assert rows().count() == 0
        assert len(held()) == number + 1

    answer(energy=5)

    assert sorted(rows().values_list("energy", flat=True)) == [1, 2, 3, 4, 5]
    assert held() == []
    first_ids = set(rows().values_list("id", flat=True))

    # The next answers wait again until there are enough of them...
    for _ in range(4):
        answer(energy=1)
    assert rows().count() == 5
    assert len(held()) == 4

    # ...and then the whole week is written again, every row with a fresh key.
    answer(energy=1)
    assert rows().count() == 10
    assert held() == []
    assert first_ids.isdisjoint(rows().values_list("id", flat=True))
    assert all(uuid.UUID(str(pk)).version == 4 for pk in rows().values_list("id", flat=True))


@pytest.mark.parametrize("minimum", [3, 5])
def test_the_tenants_minimum_decides_when_answers_are_published(answer, set_minimum, minimum):
    set_minimum(minimum)
    assert anonymity.pulse_minimum() == minimum

    for _ in range(minimum - 1):
        answer()
    assert rows().count() == 0

    answer()
    assert rows().count() == minimum


def test_without_a_settings_row_the_minimum_is_five_and_never_below_three(tenant):
    assert not OrganizationSettings.objects.exists()
    assert anonymity.pulse_minimum() == 5
    assert not OrganizationSettings.objects.exists()  # reading creates nothing

    OrganizationSettings.objects.create(id=1, pulse_minimum_group=1)  # past the form's check
    assert anonymity.pulse_minimum() == 5  # asked for, not yet in force
    AnonymityMinimum.objects.create(
        value=1, from_year=2000, from_week=1, recorded_at=timezone.now()
    )
    assert anonymity.pulse_minimum() == 3


def test_a_small_team_is_stored_without_its_name(answer, set_minimum):
    """With one person of a team answering, a row with that team's name would be theirs."""
    set_minimum(5)
    for _ in range(5):
        answer(team="Delivery")
    for _ in range(5):
        answer(team="Success")
    for _ in range(4):
        answer(team="Architects")
    answer(team="Solo")  # the fifteenth answer completes the third batch

    # Architects (4) and Solo (1) are too small; together (5) they may be "Other teams".
    assert Counter(rows().values_list("team", flat=True)) == {
        "Delivery": 5,
        "Success": 5,
        anonymity.OTHER: 5,
    }


def test_a_stored_team_is_folded_when_the_rest_could_be_worked_out_by_subtraction(
    answer, set_minimum
):
    set_minimum(5)
    for _ in range(5):
        answer(team="Delivery")
    for _ in range(6):
        answer(team="Success")
    for _ in range(4):
        answer(team="Solo")  # 15 in all: Solo's four, alone, would be total minus the rest

    assert Counter(rows().values_list("team", flat=True)) == {"Success": 6, anonymity.OTHER: 9}


def test_a_database_reader_cannot_match_answers_to_people_by_order_keys_or_transactions(
    tenant,
):
    """Real commits: each answer's participation in its own transaction, as in production.

    Twenty people answer in a known order, each with a recognisable answer. Afterwards
    the table holds one batch: one transaction id for every row, shared with no
    participation, and neither the physical order nor the key order of the rows is
    the order in which people answered (a coincidence would be one chance in 20!),
    nor keeps the answers of each batch of five together.
    """
    count = 20
    answers_in_order = [f"answer number {number:02d}" for number in range(count)]
    observed = {}

    def people_answer_one_after_another():
        connection.set_tenant(tenant)
        people = []
        try:
            assert anonymity.pulse_minimum() == 5
            for number, comment in enumerate(answers_in_order):
                person = UserFactory(email=f"pulse-{uuid.uuid4().hex}@example.test")
                people.append(person)
                member_since_always(person)
                services.pulse_submit(
                    user=person,
                    week=WEEK,
                    energy=number % 5 + 1,
                    workload=number // 5 + 1,
                    safety=3,
                    comment=comment,
                )
                if number == 4:
                    observed["first_batch_ids"] = set(rows().values_list("id", flat=True))
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, ctid::text, xmin::text, comment FROM health_pulseresponse"
                    " WHERE iso_year = %s AND iso_week = %s",
                    [WEEK.year, WEEK.week],
                )
                observed["scan"] = cursor.fetchall()
                cursor.execute(
                    "SELECT comment FROM health_pulseresponse"
                    " WHERE iso_year = %s AND iso_week = %s ORDER BY ctid",
                    [WEEK.year, WEEK.week],
                )
                observed["by_ctid"] = [comment for (comment,) in cursor.fetchall()]
                cursor.execute(
                    "SELECT comment FROM health_pulseresponse"
                    " WHERE iso_year = %s AND iso_week = %s ORDER BY id",
                    [WEEK.year, WEEK.week],
                )
                observed["by_id"] = [comment for (comment,) in cursor.fetchall()]
                cursor.execute(
                    "SELECT user_id, xmin::text FROM health_pulseparticipation"
                    " WHERE iso_year = %s AND iso_week = %s ORDER BY ctid",
                    [WEEK.year, WEEK.week],
                )
                observed["participations"] = cursor.fetchall()
            observed["held"] = held()
        finally:
            rows().delete()
            HeldPulseAnswer.objects.all().delete()
            User.objects.filter(pk__in=[person.pk for person in people]).delete()

    run_on_own_connection(people_answer_one_after_another)

    scan = observed["scan"]
    assert sorted(comment for *_, comment in scan) == answers_in_order
    assert observed["held"] == []
    # One batch: every row written by one transaction...
    response_xmins = {xmin for _, _, xmin, _ in scan}
    assert len(response_xmins) == 1
    # ...that wrote no participation, while each participation had its own.
    participation_xmins = [xmin for _, xmin in observed["participations"]]
    assert len(set(participation_xmins)) == count
    assert response_xmins.isdisjoint(participation_xmins)
    # Neither the physical order nor the key order is the order of answering.
    assert [comment for *_, comment in scan] != answers_in_order
    assert observed["by_ctid"] != answers_in_order
    assert observed["by_ctid"] != answers_in_order[::-1]
    assert observed["by_id"] != answers_in_order
    # Nor do the rows of each batch of five stay together (a chance of 1 in 10^10).
    batches = [set(answers_in_order[start : start + 5]) for start in range(0, count, 5)]
    physical = observed["by_ctid"]
    assert [set(physical[start : start + 5]) for start in range(0, count, 5)] != batches
    # Random keys, none kept from an earlier batch of the same week.
    assert all(uuid.UUID(str(pk)).version == 4 for pk, *_ in scan)
    assert observed["first_batch_ids"].isdisjoint(pk for pk, *_ in scan)


def run_on_own_connection(work) -> None:
    """Run ``work`` in a thread: its own database connection, which really commits."""
    errors = []

    def target():
        try:
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    if errors:
        raise errors[0]


def test_answers_stay_held_when_publishing_them_fails(answer, monkeypatch):
    for _ in range(4):
        answer()

    def broken_bulk_create(*args, **kwargs):
        raise RuntimeError("database write failed")

    monkeypatch.setattr(PulseResponse.objects, "bulk_create", broken_bulk_create)
    answer()  # the fifth answer is recorded; publishing the week fails and is logged

    assert rows().count() == 0
    assert len(held()) == 5

    monkeypatch.undo()
    assert services.pulse_week_publish(week=WEEK) == 5
    assert rows().count() == 5
    assert held() == []


def test_an_answer_and_its_participation_are_recorded_together_or_not_at_all(
    tenant, make_user, monkeypatch
):
    """'You answered this week' is never recorded for an answer that was not kept."""
    person = make_user()

    def broken_seal(*args, **kwargs):
        raise RuntimeError("the held answer could not be written")

    monkeypatch.setattr(services, "seal", broken_seal)
    with pytest.raises(RuntimeError):
        services.pulse_submit(user=person, week=WEEK, energy=3, workload=3, safety=3)

    assert not PulseParticipation.objects.filter(user=person).exists()
    assert held() == []


def test_held_answers_do_not_depend_on_redis(answer, settings):
    """Nothing of the pulse waits in Redis, so a Redis restart loses no answer."""
    settings.REDIS_CLIENT_URL = "unix:///nonexistent/redis.sock"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "unix:///nonexistent/redis.sock",
        }
    }
    for _ in range(4):
        answer()
    assert len(held()) == 4
    answer()
    assert rows().count() == 5


@pytest.mark.parametrize(
    "scores",
    [{"energy": 0}, {"workload": 6}, {"safety": "3"}, {"energy": True}, {"comment": "x" * 2001}],
)
def test_bad_input_is_refused_and_records_nothing(tenant, make_user, scores):
    from django.core.exceptions import ValidationError

    person = make_user()
    values = {"energy": 3, "workload": 3, "safety": 3, "comment": "", **scores}

    with pytest.raises(ValidationError):
        services.pulse_submit(user=person, week=WEEK, **values)

    assert not PulseParticipation.objects.filter(user=person).exists()
    assert held() == []


# --- The hourly job ------------------------------------------------------------------------


def test_the_job_discards_leftovers_of_a_closed_week_and_is_idempotent(answer, set_minimum):
    set_minimum(5)
    for _ in range(5):
        answer()
    for _ in range(3):
        answer(comment="left over")
    assert rows().count() == 5
    assert len(held()) == 3

    # While the week is open, leftovers wait.
    assert pulse_publish.delay(today=DURING.isoformat()).get() == {
        "published": 0,
        "discarded": 0,
    }
    assert len(held()) == 3

    assert pulse_publish.delay(today=AFTER.isoformat()).get() == {
        "published": 0,
        "discarded": 3,
    }
    assert held() == []
    assert rows().count() == 5
    assert not rows().filter(comment="left over").exists()

    assert pulse_publish.delay(today=AFTER.isoformat()).get() == {
        "published": 0,
        "discarded": 0,
    }
    assert rows().count() == 5


def test_the_job_publishes_held_weeks_that_reached_the_minimum_once(tenant, set_minimum):
    set_minimum(3)
    open_week, closed_week = WEEK, WEEK.shifted(-1)
    schema = connection.schema_name
    plain = holding.PulseAnswer(team="", energy=3, workload=3, safety=3, comment="")
    for week, count in ((open_week, 4), (closed_week, 3)):
        HeldPulseAnswer.objects.bulk_create(
            HeldPulseAnswer(
                iso_year=week.year,
                iso_week=week.week,
                sealed=holding.seal(plain, schema=schema, week=week),
            )
            for _ in range(count)
        )

    assert pulse_publish.delay(today=DURING.isoformat()).get() == {
        "published": 7,
        "discarded": 0,
    }
    assert rows(open_week).count() == 4
    assert rows(closed_week).count() == 3

    assert pulse_publish.delay(today=DURING.isoformat()).get() == {
        "published": 0,
        "discarded": 0,
    }
    assert rows(open_week).count() == 4


def test_the_job_runs_hourly_for_every_tenant():
    from config.celery import app

    entry = django_settings.CELERY_BEAT_SCHEDULE["pulse-publish"]
    assert entry["task"] == "health.tasks_pulse.pulse_publish"
    assert entry["schedule"] == timedelta(hours=1)
    assert "tenant_schemas" not in entry  # every customer tenant
    assert entry["task"] in app.tasks


def test_a_week_closes_only_when_sunday_is_over_everywhere():
    from datetime import UTC, datetime

    sunday_noon_utc = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)  # Sunday of 2024-W10
    monday_early_utc = datetime(2024, 3, 11, 6, 0, tzinfo=UTC)  # still Sunday in UTC-12
    monday_noon_utc = datetime(2024, 3, 11, 12, 0, tzinfo=UTC)  # Monday everywhere

    assert not WEEK.is_closed(services.pulse_closing_today(sunday_noon_utc))
    assert not WEEK.is_closed(services.pulse_closing_today(monday_early_utc))
    assert WEEK.is_closed(services.pulse_closing_today(monday_noon_utc))


# --- Results -------------------------------------------------------------------------------


def test_nothing_is_shown_while_the_week_is_open_not_even_a_count(tenant):
    publish_rows(WEEK, {"Delivery": 6, "Success": 7})

    during = selectors.pulse_results(week=WEEK, minimum=5, today=DURING)
    assert during.state == "open"
    assert during.overall is None
    assert during.groups == []

    after = selectors.pulse_results(week=WEEK, minimum=5, today=AFTER)
    assert after.state == "shown"
    assert after.overall.scores.n == 13


@pytest.mark.parametrize("minimum", [3, 5])
def test_a_week_below_the_minimum_shows_nothing(tenant, minimum):
    publish_rows(WEEK, {"": minimum - 1})
    assert selectors.pulse_results(week=WEEK, minimum=minimum, today=AFTER).state == "too_few"
    assert selectors.pulse_results(week=WEEK, minimum=minimum, today=AFTER).overall is None

    publish_rows(WEEK, {"": 1})
    result = selectors.pulse_results(week=WEEK, minimum=minimum, today=AFTER)
    assert result.state == "shown"
    assert result.overall.scores.n == minimum


def test_small_teams_are_folded_into_other_teams(tenant):
    publish_rows(WEEK, {"Delivery": 5, "Success": 6, "Architects": 3, "Solo": 1, "": 1})

    result = selectors.pulse_results(week=WEEK, minimum=5, today=AFTER)

    assert labels(result) == {"Delivery": 5, "Success": 6, "Other teams": 5}
    assert result.overall.scores.n == 16
    assert result.fold.folded_small
    assert not result.fold.folded_for_subtraction


def test_other_teams_below_the_minimum_takes_the_smallest_team_against_subtraction(tenant):
    # Other teams would be 2: shown, or hidden while the rest is shown, it would be
    # total minus Delivery minus Success. The smallest team shown joins it.
    publish_rows(WEEK, {"Delivery": 5, "Success": 7, "Solo": 1, "Pair": 1})

    result = selectors.pulse_results(week=WEEK, minimum=5, today=AFTER)

    assert labels(result) == {"Success": 7, "Other teams": 7}
    assert result.fold.folded_for_subtraction


def test_the_breakdown_is_withheld_when_one_team_would_reveal_the_rest(tenant):
    publish_rows(WEEK, {"Delivery": 6, "Solo": 2})

    result = selectors.pulse_results(week=WEEK, minimum=5, today=AFTER)

    assert result.overall.scores.n == 8
    assert result.groups == []
    assert result.breakdown_withheld_for_subtraction


def test_every_breakdown_keeps_each_group_and_what_is_left_out_at_the_minimum():
    """The rule, checked on many random weeks (seeded, so a failure can be replayed)."""
    generator = random.Random(20240310)
    for _ in range(3000):
        minimum = generator.choice([3, 4, 5, 7])
        counts = {
            team: generator.randint(1, 9)
            for team in generator.sample(["", "A", "B", "C", "D", "E"], generator.randint(1, 6))
        }
        fold = anonymity.pulse_groups_fold(counts=counts, minimum=minimum)
        total = sum(counts.values())
        if total < minimum:
            assert not fold.overall_shown and not fold.breakdown_shown
            continue
        assert all(counts[team] >= minimum for team in fold.shown_teams)
        left_out = total - sum(counts[team] for team in fold.shown_teams)
        assert left_out == fold.other_count
        if fold.breakdown_shown:
            # Whatever is not under a team's name is shown as a group of its own, or empty.
            assert left_out == 0 or left_out >= minimum
        # Stored labels obey the same rule.
        stored = Counter()
        for team, n in counts.items():
            stored[fold.label(team)] += n
        assert all(n >= minimum for n in stored.values())


def test_comments_appear_only_under_groups_of_twice_the_minimum(tenant):
    """Words give their author away sooner than a score: comments need 2 x the minimum."""
    small_week, folded_week, withheld_week = WEEK, WEEK.shifted(-1), WEEK.shifted(-2)
    publish_rows(small_week, {"Delivery": 4})
    publish_rows(folded_week, {"Delivery": 6, "Solo": 2, "Pair": 4})
    publish_rows(withheld_week, {"Delivery": 3, "Solo": 2})

    small, folded, withheld = selectors.pulse_results_for_weeks(
        weeks=[small_week, folded_week, withheld_week], minimum=3, today=AFTER
    )

    assert small.state == "shown" and small.comments_withheld  # 4 scores, < 6 for comments
    assert small.overall.comments == [] and small.other_comments == []
    # Scores: Delivery (6) and Other teams (Solo 2 + Pair 4); comments: the same two
    # groups, each of the comments' minimum of six.
    by_label = {group.label: group for group in folded.groups}
    assert sorted(by_label["Delivery"].comments) == [
        f"comment from Delivery #{n}" for n in range(6)
    ]
    assert by_label["Other teams"].comments == []
    assert {comment.split(" #")[0] for comment in folded.other_comments} == {
        "comment from Solo",
        "comment from Pair",
    }
    assert folded.other_comments_n == 6
    # Five answers: scores shown, comments (fewer than six answers) not at all.
    assert withheld.state == "shown" and withheld.comments_withheld
    assert withheld.overall.comments == [] and withheld.other_comments == []


def test_a_team_keeps_its_comments_only_if_the_other_comments_are_as_many(tenant):
    """Delivery's comments under its name would leave the rest as all minus Delivery."""
    publish_rows(WEEK, {"Delivery": 7, "Pair": 3})

    result = selectors.pulse_results(week=WEEK, minimum=3, today=AFTER)

    assert [group.label for group in result.groups] == ["Delivery", "Pair"]
    assert all(not group.comments for group in result.groups)
    assert result.comments_under_overall and len(result.overall.comments) == 10


def test_comments_come_in_random_order(tenant):
    publish_rows(WEEK, {"": 20})

    orders = {
        tuple(selectors.pulse_results(week=WEEK, minimum=5, today=AFTER).overall.comments)
        for _ in range(3)
    }

    assert len(orders) > 1  # three identical shuffles of 20: one chance in 20!^2


def test_results_never_mix_tenants_and_held_answers_stay_per_tenant(
    answer, tenant, other_tenant, set_minimum
):
    set_minimum(5)
    connection.set_tenant(other_tenant)
    OrganizationSettings.objects.update_or_create(id=1, defaults={"pulse_minimum_group": 5})
    globex_people = [member_since_always(UserFactory(team="Delivery")) for _ in range(7)]
    for person in globex_people[:5]:
        answer(user=person, energy=1, comment="globex says hello")
    for person in globex_people[5:]:
        answer(user=person, energy=1)
    assert rows().count() == 5
    assert len(held()) == 2
    connection.set_tenant(tenant)

    # Acme's three held answers and globex's two would make five together: never.
    for _ in range(3):
        answer(energy=5)
    assert rows().count() == 0
    assert len(held()) == 3
    assert pulse_publish.delay(today=DURING.isoformat()).get() == {
        "published": 0,
        "discarded": 0,
    }
    assert selectors.pulse_results(week=WEEK, minimum=5, today=AFTER).state == "too_few"

    connection.set_tenant(other_tenant)
    assert len(held()) == 2
    assert rows().count() == 5
    connection.set_tenant(tenant)


def test_the_dashboard_summary_shows_the_latest_closed_week_and_its_trend(tenant, set_minimum):
    set_minimum(5)
    publish_rows(WEEK.shifted(-2), {"": 5}, score=2)
    publish_rows(WEEK.shifted(-1), {"": 6}, score=3)
    publish_rows(WEEK, {"": 3}, score=5)  # too few: not the latest result

    summary = selectors.pulse_dashboard_summary(today=AFTER)

    assert summary.week == WEEK.shifted(-1)
    assert summary.scores.n == 6
    assert summary.scores.energy == 3
    assert summary.previous_week == WEEK.shifted(-2)
    assert summary.trend == {"energy": 1.0, "workload": 1.0, "safety": 1.0}

    # While the latest week is still open, it is not the dashboard's.
    publish_rows(WEEK.shifted(1), {"": 5}, score=1)
    assert selectors.pulse_dashboard_summary(today=WEEK.shifted(1).monday).week == WEEK.shifted(-1)


def test_the_dashboard_summary_is_none_without_results(tenant):
    assert selectors.pulse_dashboard_summary(today=AFTER) is None


def test_the_dashboard_partial_renders_a_summary_and_the_empty_state(tenant, set_minimum):
    from django.template.loader import render_to_string

    set_minimum(5)
    publish_rows(WEEK.shifted(-1), {"": 5}, score=4)
    publish_rows(WEEK, {"": 5}, score=3)

    html = render_to_string(
        "health/pulse/_summary.html", {"summary": selectors.pulse_dashboard_summary(today=AFTER)}
    )
    assert "Week 2024-W10" in html
    assert "5 answers" in html
    assert "-1.0" in html

    empty = render_to_string("health/pulse/_summary.html", {"summary": None})
    assert "No pulse results yet" in empty


# --- Pages ---------------------------------------------------------------------------------


def this_week() -> IsoWeek:
    return IsoWeek.of(timezone.localdate())


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_answer_the_pulse(
    client_for, make_user, role, django_capture_on_commit_callbacks
):
    person = make_user(role, team="Delivery")
    browser = client_for(person)

    page = browser.get("/pulse/")
    assert page.status_code == 200
    assert "published in groups of at least 5" in page.content.decode()
    assert 'name="energy"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/pulse/",
            {
                "week": str(this_week()),
                "energy": "2",
                "workload": "4",
                "safety": "5",
                "comment": "my very own words",
            },
        )
    assert response.status_code == 302
    assert PulseParticipation.objects.filter(user=person).count() == 1
    assert len(held(this_week())) == 1


def test_after_answering_the_page_thanks_and_never_shows_the_answer(
    client_for, consultant, django_capture_on_commit_callbacks
):
    browser = client_for(consultant)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(
            "/pulse/",
            {
                "week": str(this_week()),
                "energy": "2",
                "workload": "4",
                "safety": "1",
                "comment": "my very own words",
            },
        )

    html = browser.get("/pulse/").content.decode()

    assert "You answered this week's pulse. Thank you." in html
    assert "my very own words" not in html
    assert 'name="energy"' not in html
    assert "checked" not in html


def test_a_second_answer_through_the_page_gets_a_clear_refusal(
    client_for, consultant, django_capture_on_commit_callbacks
):
    browser = client_for(consultant)
    data = {"week": str(this_week()), "energy": "2", "workload": "3", "safety": "4"}
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/pulse/", data)
        second = browser.post("/pulse/", {**data, "energy": "5"})

    assert second.status_code == 409
    assert "already answered the pulse" in second.content.decode()
    assert len(held(this_week())) == 1
    assert [held_answer.energy for held_answer in held(this_week())] == [2]


def test_bad_input_on_the_page_records_nothing(client_for, consultant):
    response = client_for(consultant).post(
        "/pulse/", {"week": str(this_week()), "energy": "9", "workload": "3"}
    )

    assert response.status_code == 400
    assert "Choose 1 to 5." in response.content.decode()
    assert not PulseParticipation.objects.exists()
    assert held(this_week()) == []


def test_a_form_shown_for_last_week_does_not_become_this_weeks_answer(client_for, consultant):
    last_week = this_week().shifted(-1)
    response = client_for(consultant).post(
        "/pulse/", {"week": str(last_week), "energy": "3", "workload": "3", "safety": "3"}
    )

    assert response.status_code == 400
    assert f"Week {last_week} is over" in response.content.decode()
    assert not PulseParticipation.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.LEADER, 200), (Role.ADMIN, 200), (Role.CONSULTANT, 403), (Role.SALES, 403)],
)
def test_only_leaders_and_admins_see_results(client_for, make_user, role, status):
    publish_rows(this_week().shifted(-2), {"": 5})

    response = client_for(make_user(role)).get("/pulse/results/")

    assert response.status_code == status
    if status == 403:
        assert "comment from no team" not in response.content.decode()


def test_results_ask_an_anonymous_visitor_to_sign_in(anonymous_client):
    response = anonymous_client.get("/pulse/results/")

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_results_page_shows_closed_weeks_by_the_rules_and_hides_this_week(client_for, leader):
    closed = this_week().shifted(-2)
    publish_rows(closed, {"Delivery": 5, "Solo": 2})
    publish_rows(this_week(), {"": 9})  # as if published this week: still open

    html = client_for(leader).get("/pulse/results/").content.decode()

    section = html.split(f'id="week-{closed}"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"All teams</th>\s*<td class=\"num\">7</td>", section)
    assert ">Delivery<" not in section  # Delivery alone would reveal Solo by subtraction
    assert "worked out by subtracting" in section
    assert "comment from Solo" not in section  # 7 answers: fewer than 10 for comments
    assert "Comments are not shown this week: they need 10 answers or more" in section
    assert f'id="week-{this_week()}"' not in html
    assert "comment from no team" not in html
    assert f"This week ({this_week()}) is open" in html
    assert "Why some groups are not shown" in html


def test_the_results_page_never_shows_another_tenants_answers(
    client_for, leader, tenant, other_tenant
):
    closed = this_week().shifted(-2)
    connection.set_tenant(other_tenant)
    publish_rows(closed, {"": 6})
    connection.set_tenant(tenant)

    html = client_for(leader).get("/pulse/results/").content.decode()

    assert "comment from no team" not in html
    section = html.split(f'id="week-{closed}"', 1)[1].split("</section>", 1)[0]
    assert "Fewer than 5 answers" in section


def test_the_results_page_runs_a_fixed_number_of_queries(
    client_for, leader, django_assert_max_num_queries
):
    browser = client_for(leader)
    browser.get("/pulse/results/")  # warm the session
    for offset in range(1, 13):
        publish_rows(this_week().shifted(-offset), {"Delivery": 5, "Success": 5, "Solo": 1})

    with django_assert_max_num_queries(12):
        html = browser.get("/pulse/results/").content.decode()
    assert html.count("All teams</th>") == 12


def test_the_navigation_offers_the_pulse_to_every_role(client_for, make_user):
    for role in Role:
        html = client_for(make_user(role)).get("/").content.decode()
        nav = html.split('<nav aria-label="Main" id="main-nav">', 1)[1].split("</nav>", 1)[0]
        assert '<a href="/pulse/"' in nav
