"""Weekly named check-ins: filing and editing this week's, history, a manager's view of
direct reports, and the leaders' summary that shows no names and no answers."""

import re
import threading
import time
import uuid
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from health.checkins import weekly as checkins
from health.models import CheckIn
from health.weeks import IsoWeek, last_closed_week, recent_weeks
from psops.accounts.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHECKIN_URL = reverse("checkins:checkin")
TEAM_URL = reverse("checkins:team")
SUMMARY_URL = reverse("checkins:summary")
HTMX = {"HX-Request": "true"}
ANSWERS = {
    "energy": 4,
    "workload": 3,
    "boundaries": "mostly",
    "connection": 5,
    "blockers": "Waiting on VPN access",
    "wins": "Shipped the importer",
    "wants_one_on_one": False,
}


def local_today(user) -> date:
    """The date the views use: the signed-in user's own (the middleware activates it)."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(user.time_zone))


def file_checkin(user, week: IsoWeek, **answers) -> CheckIn:
    """A check-in written straight to the table, as if filed in ``week``."""
    return CheckIn.objects.create(
        user=user, iso_year=week.year, iso_week=week.week, **(ANSWERS | answers)
    )


def form_data(**answers) -> dict:
    data = {key: value for key, value in (ANSWERS | answers).items() if value is not None}
    if not data.get("wants_one_on_one"):
        data.pop("wants_one_on_one", None)
    else:
        data["wants_one_on_one"] = "on"
    return data


# --- Services and selectors ---------------------------------------------------------------


class TestCheckinSave:
    def test_files_this_weeks_checkin_then_changes_the_same_one(self, consultant):
        today = local_today(consultant)

        first = checkins.checkin_save(user=consultant, today=today, **ANSWERS)
        second = checkins.checkin_save(
            user=consultant, today=today, **(ANSWERS | {"energy": 1, "blockers": "  none  "})
        )

        assert first.pk == second.pk
        assert CheckIn.objects.filter(user=consultant).count() == 1
        saved = CheckIn.objects.get(user=consultant)
        assert (saved.iso_year, saved.iso_week) == (today.isocalendar()[0], today.isocalendar()[1])
        assert saved.energy == 1
        assert saved.blockers == "none"

    @pytest.mark.parametrize(
        "bad",
        [
            {"energy": 0},
            {"energy": 6},
            {"workload": 7},
            {"connection": -1},
            {"boundaries": "sometimes"},
            {"energy": None},
        ],
    )
    def test_out_of_range_answers_are_refused_and_nothing_is_saved(self, consultant, bad):
        with pytest.raises(ValidationError) as error:
            checkins.checkin_save(user=consultant, today=local_today(consultant), **(ANSWERS | bad))

        assert next(iter(bad)) in error.value.message_dict
        assert not CheckIn.objects.filter(user=consultant).exists()

    def test_a_refused_change_leaves_the_filed_checkin_as_it_was(self, consultant):
        today = local_today(consultant)
        checkins.checkin_save(user=consultant, today=today, **ANSWERS)

        with pytest.raises(ValidationError):
            checkins.checkin_save(user=consultant, today=today, **(ANSWERS | {"energy": 9}))

        assert CheckIn.objects.get(user=consultant).energy == ANSWERS["energy"]

    def test_unknown_answers_are_a_programming_error(self, consultant):
        with pytest.raises(TypeError):
            checkins.checkin_save(user=consultant, today=local_today(consultant), mood=3)

    def test_saving_never_touches_a_past_week(self, consultant):
        today = local_today(consultant)
        last_week = IsoWeek.of(today).shifted(-1)
        past = file_checkin(consultant, last_week, energy=2, wins="old win")

        checkins.checkin_save(user=consultant, today=today, **(ANSWERS | {"energy": 5}))

        past.refresh_from_db()
        assert (past.energy, past.wins) == (2, "old win")
        assert CheckIn.objects.filter(user=consultant).count() == 2


def _in_threads(*works) -> None:
    """Run each of ``works`` in its own thread: its own connection, which really commits."""
    errors = []

    def target(work):
        try:
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]


def _another_session_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def test_the_first_checkin_of_the_week_saved_twice_at_once_is_one_checkin(tenant):
    """The form sent twice: the second save waits for the first, then changes its row.

    Real commits on two connections. The first save's transaction stays open until the
    second is seen waiting for it; before, the second inserted a row of its own and
    failed on the unique constraint (a 500 for the person).
    """
    person = {}
    first_saved = threading.Event()
    outcome = {}

    def create_person():
        connection.set_tenant(tenant)
        person["user"] = UserFactory(email=f"race-{uuid.uuid4().hex}@example.test")

    def first():
        connection.set_tenant(tenant)
        with transaction.atomic():
            checkins.checkin_save(user=person["user"], today=outcome["today"], **ANSWERS)
            first_saved.set()
            deadline = time.monotonic() + 10
            while not _another_session_waits_on_a_lock() and time.monotonic() < deadline:
                time.sleep(0.05)

    def second():
        connection.set_tenant(tenant)
        assert first_saved.wait(timeout=10)
        checkins.checkin_save(
            user=person["user"], today=outcome["today"], **(ANSWERS | {"energy": 1})
        )

    def look_and_clean_up():
        connection.set_tenant(tenant)
        user = person.get("user")
        if user is None:
            return
        outcome["rows"] = list(CheckIn.objects.filter(user=user).values_list("energy", flat=True))
        user.delete()  # and, by cascade, their check-ins

    _in_threads(create_person)
    outcome["today"] = local_today(person["user"])
    try:
        _in_threads(first, second)
    finally:
        _in_threads(look_and_clean_up)

    assert outcome["rows"] == [1]  # one check-in, with the second save's answers


class TestSelectors:
    def test_checkin_this_week_is_the_users_own_for_the_current_week(self, make_user):
        person, colleague = make_user(), make_user()
        today = local_today(person)
        file_checkin(person, IsoWeek.of(today).shifted(-1))
        file_checkin(colleague, IsoWeek.of(today))

        assert checkins.checkin_this_week(user=person, today=today) is None

        mine = file_checkin(person, IsoWeek.of(today))
        assert checkins.checkin_this_week(user=person, today=today) == mine

    def test_checkins_of_reports_shows_only_active_direct_reports_and_eight_weeks(self, make_user):
        manager, other_manager = make_user(), make_user()
        report = make_user(manager=manager, full_name="Ada Report")
        make_user(manager=manager, full_name="Gone Report", is_active=False)
        skip_report = make_user(manager=report, full_name="Skip Report")
        make_user(manager=other_manager, full_name="Other Report")
        today = local_today(manager)
        this_week = IsoWeek.of(today)
        file_checkin(report, this_week)
        file_checkin(report, this_week.shifted(-7))
        file_checkin(report, this_week.shifted(-8))  # nine weeks ago: not shown
        file_checkin(skip_report, this_week)

        rows = checkins.checkins_of_reports(manager=manager, today=today)

        assert [row.person.full_name for row in rows] == ["Ada Report"]
        weeks = rows[0].weeks
        assert [entry.week for entry in weeks] == list(reversed(recent_weeks(today=today, count=8)))
        assert weeks[0].checkin is not None and weeks[7].checkin is not None
        assert all(entry.checkin is None for entry in weeks[1:7])
        assert rows[0].filed == 2

    def test_weekly_aggregates_average_the_answers_of_each_week(self, make_user):
        today = timezone.localdate()
        this_week, last_week = IsoWeek.of(today), IsoWeek.of(today).shifted(-1)
        people = [make_user() for _ in range(4)]
        file_checkin(people[0], this_week, energy=2, workload=5, connection=1, boundaries="no")
        file_checkin(
            people[1], this_week, energy=3, workload=4, connection=2, wants_one_on_one=True
        )
        file_checkin(people[2], this_week, energy=4, workload=3, connection=3, boundaries="no")
        file_checkin(people[3], last_week, energy=5)

        by_week = {
            row.week: row
            for row in checkins.checkin_weekly_aggregates(weeks=[last_week, this_week], minimum=3)
        }

        now = by_week[this_week]
        assert now.filed == 3
        assert (now.energy, now.workload, now.connection) == (3.0, 4.0, 2.0)
        assert now.boundaries_no_percent == 67
        assert now.one_on_one_requests == 1
        assert now.shown
        # Below the minimum only participation is given: one answer is a person's answer.
        before = by_week[last_week]
        assert before.filed == 1
        assert not before.shown
        assert before.energy is None and before.one_on_one_requests is None

    def test_participation_counts_active_people_and_anyone_who_filed(self, tenant, make_user):
        today = timezone.localdate()
        this_week = IsoWeek.of(today)
        from psops.accounts.models import User

        active_before = User.objects.filter(is_active=True).count()
        filers = [make_user() for _ in range(3)]
        departed = make_user(is_active=False)
        make_user(is_active=False)  # left without filing: not counted
        for person in [*filers[:2], departed]:
            file_checkin(person, this_week)

        (row,) = checkins.checkin_weekly_aggregates(weeks=[this_week], minimum=3)

        assert row.filed == 3
        assert row.people == active_before + 3 + 1
        assert row.participation_percent == round(100 * 3 / (active_before + 4))

    def test_people_who_joined_after_a_week_are_not_counted_in_it(self, make_user):
        today = timezone.localdate()
        long_ago = IsoWeek.of(today).shifted(-10)
        make_user()  # joins now

        (row,) = checkins.checkin_weekly_aggregates(weeks=[long_ago], minimum=3)

        from psops.accounts.models import User

        joined_then = User.objects.filter(
            is_active=True, date_joined__date__lte=long_ago.sunday
        ).count()
        assert row.people == joined_then

    def test_weekly_aggregates_take_two_queries_whatever_the_rows(
        self, make_user, django_assert_max_num_queries
    ):
        weeks = recent_weeks(today=timezone.localdate(), count=12)

        def measure() -> int:
            with CaptureQueriesContext(connection) as queries:
                checkins.checkin_weekly_aggregates(weeks=weeks, minimum=3)
            return len(queries)

        for week in weeks[:3]:
            file_checkin(make_user(), week)
        few = measure()
        for week in weeks:
            for _ in range(5):
                file_checkin(make_user(), week)
        assert measure() == few
        with django_assert_max_num_queries(4):  # two statements, each with its SET search_path
            checkins.checkin_weekly_aggregates(weeks=weeks, minimum=3)


# --- The check-in page ---------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_files_its_own_checkin(client_for, make_user, role):
    person = make_user(role)
    browser = client_for(person)

    page = browser.get(CHECKIN_URL)
    assert page.status_code == 200
    assert "How was your week?" in page.content.decode()

    response = browser.post(CHECKIN_URL, form_data())

    assert response.status_code == 302
    saved = CheckIn.objects.get(user=person)
    week = IsoWeek.of(local_today(person))
    assert (saved.iso_year, saved.iso_week) == (week.year, week.week)
    assert saved.blockers == ANSWERS["blockers"]


def test_anonymous_people_are_sent_to_sign_in(anonymous_client):
    for url in (CHECKIN_URL, TEAM_URL, SUMMARY_URL):
        response = anonymous_client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert anonymous_client.post(CHECKIN_URL, form_data()).status_code == 302
    assert not CheckIn.objects.exists()


def test_this_weeks_checkin_is_shown_for_editing_and_edited_in_place(client_for, consultant):
    browser = client_for(consultant)
    browser.post(CHECKIN_URL, form_data(energy=2, wins="first version"))

    page = browser.get(CHECKIN_URL).content.decode()
    assert "Your check-in for this week" in page
    assert "first version" in page  # in the form and in the history
    assert re.search(r'<input type="radio" name="energy" value="2"[^>]* checked>', page)

    response = browser.post(CHECKIN_URL, form_data(energy=5, wins="second version"))

    assert response.status_code == 302
    saved = CheckIn.objects.get(user=consultant)
    assert (saved.energy, saved.wins) == (5, "second version")
    follow = browser.get(CHECKIN_URL).content.decode()
    assert "Check-in for" in follow and "updated" in follow


def test_asking_for_a_one_on_one_is_saved(client_for, consultant):
    client_for(consultant).post(CHECKIN_URL, form_data(wants_one_on_one=True))

    assert CheckIn.objects.get(user=consultant).wants_one_on_one is True


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"energy": 9}, "Choose 1 to 5."),
        ({"workload": "lots"}, "Choose 1 to 5."),
        ({"connection": None}, "Choose 1 to 5."),
        ({"boundaries": None}, "Choose yes, mostly or no."),
        ({"boundaries": "sometimes"}, "Select a valid choice"),
    ],
)
def test_bad_answers_get_a_message_and_change_nothing(client_for, consultant, bad, message):
    browser = client_for(consultant)
    browser.post(CHECKIN_URL, form_data(energy=3))

    response = browser.post(CHECKIN_URL, form_data(**bad))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert CheckIn.objects.get(user=consultant).energy == 3


def test_a_form_from_a_week_that_is_over_is_refused(client_for, consultant):
    """Opened on Sunday evening, sent on Monday: it must not silently file the new week."""
    browser = client_for(consultant)
    this_week = IsoWeek.of(local_today(consultant))
    last_week = this_week.shifted(-1)
    past = file_checkin(consultant, last_week, energy=1)

    response = browser.post(CHECKIN_URL, form_data(energy=5) | {"week": str(last_week)})

    page = response.content.decode()
    assert response.status_code == 400
    assert f"Week {last_week} is over" in page
    assert f'name="week" value="{this_week}"' in page  # saving again files this week
    past.refresh_from_db()
    assert past.energy == 1
    assert CheckIn.objects.filter(user=consultant).count() == 1


def test_past_weeks_are_in_the_history_but_not_in_the_form(client_for, consultant):
    browser = client_for(consultant)
    last_week = IsoWeek.of(local_today(consultant)).shifted(-1)
    file_checkin(consultant, last_week, wins="Last week's win")

    page = browser.get(CHECKIN_URL).content.decode()

    assert "How was your week?" in page  # this week still open, last week's not loaded
    history = page.split('id="checkin-history"', 1)[1]
    assert str(last_week) in history
    assert "Last week&#x27;s win" in history


def test_history_is_paginated_and_pages_by_htmx(client_for, consultant):
    this_week = IsoWeek.of(local_today(consultant))
    for offset in range(1, 13):
        file_checkin(consultant, this_week.shifted(-offset), wins=f"win {offset:02d}")
    browser = client_for(consultant)

    first = browser.get(CHECKIN_URL).content.decode()
    assert "win 01" in first and "win 11" not in first
    assert "Page 1 of 2" in first

    response = browser.get(
        CHECKIN_URL, {"page": 2}, headers=HTMX | {"HX-Target": "checkin-history"}
    )
    partial = response.content.decode()
    assert "<html" not in partial
    assert partial.lstrip().startswith('<section class="card" id="checkin-history"')
    assert "win 11" in partial and "win 12" in partial and "win 01" not in partial
    assert "HX-Request" in response["Vary"]


def test_history_shows_only_my_own_checkins(client_for, make_user):
    me, colleague = make_user(), make_user()
    file_checkin(colleague, IsoWeek.of(local_today(me)), blockers="Colleague's blocker")

    page = client_for(me).get(CHECKIN_URL).content.decode()

    assert "Colleague" not in page
    assert "No check-ins yet" in page


def test_links_to_team_and_summary_only_for_those_who_have_them(client_for, make_user):
    manager = make_user(Role.CONSULTANT)
    make_user(manager=manager)
    loner = make_user(Role.CONSULTANT)
    boss = make_user(Role.LEADER)

    assert TEAM_URL in client_for(manager).get(CHECKIN_URL).content.decode()
    assert SUMMARY_URL not in client_for(manager).get(CHECKIN_URL).content.decode()
    loner_page = client_for(loner).get(CHECKIN_URL).content.decode()
    assert TEAM_URL not in loner_page and SUMMARY_URL not in loner_page
    assert SUMMARY_URL in client_for(boss).get(CHECKIN_URL).content.decode()


# --- The team page -------------------------------------------------------------------------


@pytest.fixture
def team(make_user):
    """A manager with two reports, one of whom asked for a 1:1, and another manager's team."""
    manager = make_user(Role.CONSULTANT, full_name="Mona Manager")
    asking = make_user(manager=manager, full_name="Ada Asker")
    quiet = make_user(manager=manager, full_name="Quinn Quiet")
    other_manager = make_user(Role.LEADER, full_name="Otto Other")
    stranger = make_user(manager=other_manager, full_name="Sam Stranger")
    skip = make_user(manager=asking, full_name="Skip Person")
    week = IsoWeek.of(local_today(manager))
    file_checkin(asking, week, wants_one_on_one=True, blockers="Ada's blocker")
    file_checkin(quiet, week.shifted(-2), blockers="Quinn's blocker")
    file_checkin(stranger, week, blockers="Sam's blocker", wants_one_on_one=True)
    file_checkin(skip, week, blockers="Skip's blocker")
    return {
        "manager": manager,
        "asking": asking,
        "quiet": quiet,
        "other_manager": other_manager,
        "stranger": stranger,
    }


def test_a_manager_sees_each_direct_reports_checkins(client_for, team):
    page = client_for(team["manager"]).get(TEAM_URL).content.decode()

    assert "Ada Asker" in page and "Quinn Quiet" in page
    assert "Ada&#x27;s blocker" in page and "Quinn&#x27;s blocker" in page
    assert "Would like a 1:1" in page
    ask_section = page.split('id="asking-title"', 1)[1].split("</section>", 1)[0]
    assert "Ada Asker" in ask_section and "Quinn" not in ask_section
    assert f"?report={team['asking'].pk}" in ask_section
    assert "1 of 8 weeks filed" in page


def test_a_manager_never_sees_another_managers_or_skip_level_reports(client_for, team):
    page = client_for(team["manager"]).get(TEAM_URL).content.decode()

    assert "Sam Stranger" not in page and "Sam&#x27;s blocker" not in page
    assert "Skip Person" not in page and "Skip&#x27;s blocker" not in page

    other_page = client_for(team["other_manager"]).get(TEAM_URL).content.decode()
    assert "Sam&#x27;s blocker" in other_page
    assert "Ada Asker" not in other_page and "Quinn Quiet" not in other_page


def test_a_report_sees_their_own_reports_never_their_peers(client_for, team):
    """Ada reports to Mona and manages Skip: her team page is Skip's, not Quinn's."""
    page = client_for(team["asking"]).get(TEAM_URL).content.decode()

    assert "Skip Person" in page and "Skip&#x27;s blocker" in page
    assert "Quinn Quiet" not in page and "Quinn&#x27;s blocker" not in page
    assert "Ada&#x27;s blocker" not in page


@pytest.mark.parametrize("role", list(Role))
def test_someone_without_reports_sees_an_empty_state(client_for, make_user, team, role):
    response = client_for(make_user(role)).get(TEAM_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nobody reports to you" in page
    assert "blocker" not in page


def test_a_new_manager_does_not_inherit_what_was_told_to_the_previous_one(
    client_for, make_user, admin_user
):
    """Reassigned through Settings > Users: the new manager reads this week on, not before."""
    old_manager = make_user(Role.LEADER, full_name="Olga Old")
    new_manager = make_user(Role.LEADER, full_name="Nina New")
    report = make_user(manager=old_manager, full_name="Rita Report")
    this_week = IsoWeek.of(local_today(report))
    file_checkin(report, this_week, blockers="This week's blocker")
    for offset in range(1, 4):
        file_checkin(
            report,
            this_week.shifted(-offset),
            blockers=f"Told Olga {offset}",
            wins=f"Old win {offset}",
            wants_one_on_one=True,
        )
    assert "Told Olga 1" in client_for(old_manager).get(TEAM_URL).content.decode()

    response = client_for(admin_user).post(
        f"/settings/users/{report.pk}/",
        {
            "full_name": report.full_name,
            "role": report.role,
            "manager": new_manager.pk,
            "time_zone": report.time_zone,
        },
    )
    assert response.status_code == 302

    page = client_for(new_manager).get(TEAM_URL).content.decode()
    assert "Rita Report" in page
    assert "This week&#x27;s blocker" in page
    assert "Told Olga" not in page and "Old win" not in page
    assert "Asked for a 1:1" not in page  # the request was made to Olga
    assert page.count("Before you became their manager") == checkins.TEAM_WEEKS - 1
    assert "1 of 1 week filed" in page
    # Olga no longer manages Rita and sees nothing of hers either.
    assert "Rita Report" not in client_for(old_manager).get(TEAM_URL).content.decode()


def test_a_manager_set_before_it_was_recorded_reads_the_usual_eight_weeks(make_user):
    """Null ``manager_since``: the relationship predates the record (documented choice)."""
    manager = make_user()
    report = make_user(manager=manager, manager_since=None)
    today = local_today(manager)
    file_checkin(report, IsoWeek.of(today).shifted(-7), blockers="Two months ago")

    (row,) = checkins.checkins_of_reports(manager=manager, today=today)

    assert row.weeks[7].checkin is not None and not row.weeks[7].before_manager
    assert row.readable_weeks == checkins.TEAM_WEEKS


def test_a_manager_reads_the_weeks_not_over_when_they_took_over(make_user):
    manager = make_user()
    today = local_today(manager)
    this_week = IsoWeek.of(today)
    took_over = timezone.now() - timedelta(weeks=2)
    report = make_user(manager=manager, manager_since=took_over)
    for offset in range(8):
        file_checkin(report, this_week.shifted(-offset), wants_one_on_one=offset == 3)

    (row,) = checkins.checkins_of_reports(manager=manager, today=today)

    report_zone = zoneinfo.ZoneInfo(report.time_zone)
    took_over_week = IsoWeek.of(timezone.localtime(took_over, report_zone).date())
    readable = [entry.week for entry in row.weeks if not entry.before_manager]
    assert readable == [week for week in reversed(recent_weeks(today=today, count=8))
                        if week >= took_over_week]  # fmt: skip
    assert len(readable) == 3
    assert all(entry.checkin is None for entry in row.weeks if entry.before_manager)
    assert row.filed == 3
    assert not row.wants_one_on_one  # asked three weeks ago, of the previous manager


def test_a_week_belongs_to_whoever_managed_the_person_on_its_last_day_in_their_time_zone():
    week = IsoWeek(2025, 13)  # Monday March 24 to Sunday March 30
    auckland = "Pacific/Auckland"
    sunday_night = datetime(2025, 3, 30, 23, 30, tzinfo=zoneinfo.ZoneInfo(auckland))
    monday_morning = datetime(2025, 3, 31, 0, 30, tzinfo=zoneinfo.ZoneInfo(auckland))

    assert not checkins.week_ended_before(week=week, moment=sunday_night, time_zone=auckland)
    assert checkins.week_ended_before(week=week, moment=monday_morning, time_zone=auckland)
    # The same moment is Sunday morning in New York: a report there can still file W13.
    assert not checkins.week_ended_before(
        week=week, moment=monday_morning, time_zone="America/New_York"
    )
    assert not checkins.week_ended_before(week=week, moment=None, time_zone=auckland)


# --- The summary ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.SALES, Role.ADMIN])
def test_only_leaders_see_the_summary(client_for, make_user, role):
    user = make_user(role)
    assert client_for(user).get(SUMMARY_URL).status_code == 403
    assert SUMMARY_URL not in client_for(user).get(CHECKIN_URL).content.decode()


def summary_row(page: str, week: IsoWeek) -> str:
    """The summary table's row of ``week``; fails if the week is not shown."""
    return page.split(f'<th scope="row">{week}</th>', 1)[1].split("</tr>", 1)[0]


def test_the_summary_shows_aggregates_without_names_or_answers(set_minimum, client_for, make_user):
    viewer = make_user(Role.LEADER, full_name="Viewer Person")
    set_minimum(3)
    week = last_closed_week()
    names = ["Alice Energetic", "Bob Tired", "Cleo Connected"]
    for name, energy in zip(names, [2, 3, 5], strict=True):
        file_checkin(
            make_user(full_name=name, email=f"{name.split()[0].lower()}@acme.test"),
            week,
            energy=energy,
            blockers=f"{name} blocker text",
            wins=f"{name} win text",
            boundaries="no",
        )

    response = client_for(viewer).get(SUMMARY_URL)

    page = response.content.decode()
    assert response.status_code == 200
    row = summary_row(page, week)
    assert "3 of " in row
    assert ">3.3<" in row  # average energy (2 + 3 + 5) / 3
    assert ">100 %<" in row  # boundaries not respected
    for name in names:
        assert name not in page
        assert f"{name.split()[0].lower()}@acme.test" not in page
    assert "blocker text" not in page and "win text" not in page


def test_the_summary_hides_averages_of_too_few_checkins(client_for, leader, make_user):
    week = last_closed_week()
    file_checkin(make_user(), week, energy=1, wants_one_on_one=True)

    page = client_for(leader).get(SUMMARY_URL).content.decode()

    row = summary_row(page, week)
    assert "1 of " in row
    assert "Not shown: fewer than 5 people outside your team answered" in row
    assert ">1.0<" not in row


def test_the_summary_needs_the_organizations_anonymity_minimum_of_checkins(
    set_minimum, client_for, leader, make_user
):
    """Not a fixed three: an organization that asked for five gets five."""
    set_minimum(5)
    week = last_closed_week()
    for energy in (1, 2, 3, 4):
        file_checkin(make_user(), week, energy=energy)
    browser = client_for(leader)

    row = summary_row(browser.get(SUMMARY_URL).content.decode(), week)
    assert "4 of " in row
    assert "Not shown: fewer than 5 people outside your team answered" in row
    assert ">2.5<" not in row
    page = browser.get(SUMMARY_URL).content.decode()
    assert "fewer than 5 check-ins" in page

    file_checkin(make_user(), week, energy=5)

    row = summary_row(browser.get(SUMMARY_URL).content.decode(), week)
    assert "5 of " in row and ">3.0<" in row


def test_the_summary_never_shows_the_week_still_open(set_minimum, client_for, leader, make_user):
    """Two reads a check-in apart would otherwise give that check-in away."""
    set_minimum(3)
    this_week = IsoWeek.of(local_today(leader))
    for energy in (2, 3, 4):
        file_checkin(make_user(), this_week, energy=energy)
    browser = client_for(leader)
    before = browser.get(SUMMARY_URL).content.decode()

    file_checkin(make_user(), this_week, energy=1)
    after = browser.get(SUMMARY_URL).content.decode()

    assert str(this_week) not in before and str(this_week) not in after
    table = before.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert table == after.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_the_summary_waits_until_a_week_is_over_everywhere_on_earth(
    set_minimum, client_for, leader, make_user, monkeypatch
):
    """Monday for the leader is still Sunday in UTC-12: last week is not over there yet."""
    set_minimum(3)
    last_week = IsoWeek.of(local_today(leader)).shifted(-1)
    week_before = last_week.shifted(-1)
    for person in [make_user() for _ in range(3)]:
        file_checkin(person, last_week, energy=1)
        file_checkin(person, week_before, energy=5)
    monkeypatch.setattr("health.weeks.closing_today", lambda now=None: last_week.sunday)

    page = client_for(leader).get(SUMMARY_URL).content.decode()

    assert str(last_week) not in page
    assert ">5.0<" in summary_row(page, week_before)
    assert ">1.0<" not in page


def test_deactivating_someone_changes_no_average_of_the_summary(
    set_minimum, client_for, leader, make_user
):
    set_minimum(3)
    week = last_closed_week()
    people = [make_user() for _ in range(4)]
    for person, energy in zip(people, (1, 2, 4, 5), strict=True):
        file_checkin(person, week, energy=energy)
    browser = client_for(leader)
    before = summary_row(browser.get(SUMMARY_URL).content.decode(), week)

    people[0].is_active = False
    people[0].save(update_fields=["is_active"])

    assert summary_row(browser.get(SUMMARY_URL).content.decode(), week) == before
    assert ">3.0<" in before


# --- Tenants -------------------------------------------------------------------------------


def test_another_organizations_checkins_are_not_counted_or_shown(
    client_for, tenant, other_tenant, make_user
):
    acme_manager = make_user(full_name="Acme Manager")
    acme_report = make_user(manager=acme_manager)
    week = IsoWeek.of(local_today(acme_manager))
    for _ in range(5):
        file_checkin(make_user(), last_closed_week(), blockers="acme-only blocker")
    file_checkin(acme_report, week, blockers="acme-only blocker")

    connection.set_tenant(other_tenant)
    try:
        globex_leader = UserFactory(role=Role.LEADER, email="lead@globex.test")
    finally:
        connection.set_tenant(tenant)
    browser = client_for(globex_leader, organization=other_tenant)

    summary = browser.get(SUMMARY_URL).content.decode()
    row = summary_row(summary, last_closed_week())
    assert "0 of " in row
    for url in (CHECKIN_URL, TEAM_URL):
        assert "acme-only" not in browser.get(url).content.decode()


def test_an_acme_session_is_anonymous_on_globex(client_for, consultant, other_tenant):
    from tests.conftest import TenantClient, host_of

    signed_in = client_for(consultant)
    on_globex = TenantClient(host=host_of(other_tenant))
    on_globex.cookies = signed_in.cookies

    response = on_globex.get(CHECKIN_URL)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- Query counts --------------------------------------------------------------------------

FEW, MANY = 2, 20


def _flat(browser, url: str, add_rows, django_assert_max_num_queries, ceiling: int) -> None:
    add_rows(FEW)
    with CaptureQueriesContext(connection) as few:
        assert browser.get(url).status_code == 200
    add_rows(MANY)
    with CaptureQueriesContext(connection) as many:
        assert browser.get(url).status_code == 200
    assert len(many) == len(few), f"{url}: {len(few)} queries, then {len(many)}"
    with django_assert_max_num_queries(ceiling):
        browser.get(url)


def test_the_checkin_page_runs_a_constant_number_of_queries(
    client_for, consultant, django_assert_max_num_queries
):
    this_week = IsoWeek.of(local_today(consultant))
    filed = []

    def add_rows(count):
        while len(filed) < count:
            filed.append(file_checkin(consultant, this_week.shifted(-len(filed) - 1)))

    _flat(client_for(consultant), CHECKIN_URL, add_rows, django_assert_max_num_queries, 24)


def test_the_team_page_runs_a_constant_number_of_queries(
    client_for, make_user, django_assert_max_num_queries
):
    manager = make_user()
    this_week = IsoWeek.of(local_today(manager))
    reports = []

    def add_rows(count):
        while len(reports) < count:
            report = make_user(manager=manager)
            for offset in range(4):
                file_checkin(report, this_week.shifted(-offset), wants_one_on_one=offset == 0)
            reports.append(report)

    _flat(client_for(manager), TEAM_URL, add_rows, django_assert_max_num_queries, 16)


def test_the_summary_runs_a_constant_number_of_queries(
    client_for, leader, make_user, django_assert_max_num_queries
):
    weeks = recent_weeks(today=local_today(leader), count=12)
    people = []

    def add_rows(count):
        while len(people) < count:
            person = make_user()
            for week in weeks:
                file_checkin(person, week)
            people.append(person)

    _flat(client_for(leader), SUMMARY_URL, add_rows, django_assert_max_num_queries, 16)


def test_the_navigation_has_the_checkin_for_every_role(client_for, make_user):
    for role in Role:
        html = client_for(make_user(role)).get("/").content.decode()
        nav = html.split('<nav aria-label="Main" id="main-nav">', 1)[1].split("</nav>", 1)[0]
        assert f'href="{CHECKIN_URL}"' in nav and ">Check-in</a>" in nav
        assert ">1:1s</a>" in nav


def test_checkin_pages_mark_the_checkin_entry_as_current(client_for, leader):
    for url in (CHECKIN_URL, TEAM_URL, SUMMARY_URL):
        html = client_for(leader).get(url).content.decode()
        assert f'<a href="{CHECKIN_URL}" aria-current="page">Check-in</a>' in html


def test_the_week_boundary_is_the_users_own_monday(make_user):
    """A Sunday-night check-in and a Monday-morning one fall in different ISO weeks."""
    person = make_user()
    sunday = IsoWeek.of(timezone.localdate()).sunday
    monday = sunday + timedelta(days=1)

    on_sunday = checkins.checkin_save(user=person, today=sunday, **ANSWERS)
    on_monday = checkins.checkin_save(user=person, today=monday, **ANSWERS)

    assert on_sunday.pk != on_monday.pk
    assert checkins.checkin_this_week(user=person, today=monday) == on_monday


def test_in_the_demo_managers_read_their_reports_past_weeks():
    """The demo's managers were set long ago (``manager_since``), so its history shows."""
    from django_tenants.utils import schema_context

    from psops import demo
    from psops.accounts.models import User

    demo.seed()

    with schema_context("acme"):
        leader = User.objects.get(email="leader@acme.test")
        reports = checkins.checkins_of_reports(manager=leader, today=timezone.localdate())
        assert {report.person.email for report in reports} >= {"consultant@acme.test"}
        assert all(report.person.manager_since is not None for report in reports)
        assert not any(entry.before_manager for report in reports for entry in report.weeks)
        assert any(report.weeks[-1].checkin for report in reports)  # eight weeks ago
