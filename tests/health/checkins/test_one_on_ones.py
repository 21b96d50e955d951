"""1:1s and skip-levels are private to their two people; private notes to their author.

The people of every test (the ``org`` fixture):

    Bea Boss (leader) ── manages ── Max Manager ── manages ── Remy Report
                     └─ manages ── Pat Peer ───── manages ── Ola Other

plus an admin, another leader and a colleague with nobody to manage. Max's 1:1
with Remy carries a shared note and a private note from each of them; the texts are
unique markers, so "the page does not contain it" cannot pass by accident.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from health.checkins import one_on_ones
from health.models import OneOnOne, OneOnOnePrivateNote
from psops.accounts.models import Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("checkins:one_on_one_list")
CREATE_URL = reverse("checkins:one_on_one_create")
HTMX = {"HX-Request": "true"}

SHARED_TEXT = "SHARED-7d1f agreed to move the go-live"
MANAGER_PRIVATE = "MANAGER-PRIVATE-4be2 worried about burnout"
REPORT_PRIVATE = "REPORT-PRIVATE-91ac thinking of leaving"
ALL_NOTES = (SHARED_TEXT, MANAGER_PRIVATE, REPORT_PRIVATE)


@dataclass
class Org:
    boss: User
    manager: User
    report: User
    peer: User
    other_report: User
    admin: User
    leader: User
    colleague: User
    one_on_one: OneOnOne

    def urls(self, one_on_one: OneOnOne | None = None) -> dict[str, str]:
        pk = (one_on_one or self.one_on_one).pk
        return {
            "detail": reverse("checkins:one_on_one_detail", args=[pk]),
            "shared": reverse("checkins:one_on_one_shared_notes", args=[pk]),
            "private": reverse("checkins:one_on_one_private_note", args=[pk]),
        }


def make_one_on_one(manager, report, *, held_on=None, skip=False, shared="") -> OneOnOne:
    return OneOnOne.objects.create(
        manager=manager,
        report=report,
        is_skip_level=skip,
        held_on=held_on or timezone.localdate(),
        shared_notes=shared,
    )


@pytest.fixture
def org(make_user) -> Org:
    boss = make_user(Role.LEADER, full_name="Bea Boss")
    manager = make_user(Role.CONSULTANT, full_name="Max Manager", manager=boss)
    report = make_user(Role.CONSULTANT, full_name="Remy Report", manager=manager)
    peer = make_user(Role.CONSULTANT, full_name="Pat Peer", manager=boss)
    other_report = make_user(Role.SALES, full_name="Ola Other", manager=peer)
    one_on_one = make_one_on_one(manager, report, shared=SHARED_TEXT)
    OneOnOnePrivateNote.objects.create(one_on_one=one_on_one, author=manager, body=MANAGER_PRIVATE)
    OneOnOnePrivateNote.objects.create(one_on_one=one_on_one, author=report, body=REPORT_PRIVATE)
    return Org(
        boss=boss,
        manager=manager,
        report=report,
        peer=peer,
        other_report=other_report,
        admin=make_user(Role.ADMIN, full_name="Adam Admin"),
        leader=make_user(Role.LEADER, full_name="Lea Leader"),
        colleague=make_user(Role.CONSULTANT, full_name="Cole Colleague"),
        one_on_one=one_on_one,
    )


OUTSIDERS = ["admin", "leader", "colleague", "boss", "peer", "other_report"]


# --- Services and selectors ---------------------------------------------------------------


class TestCreate:
    def test_a_manager_starts_a_1_1_with_a_direct_report(self, org):
        created = one_on_ones.one_on_one_create(
            manager=org.manager, report=org.report, held_on=date(2025, 3, 3)
        )

        assert (created.manager, created.report, created.is_skip_level) == (
            org.manager,
            org.report,
            False,
        )

    def test_the_managers_manager_starts_a_skip_level(self, org):
        created = one_on_ones.one_on_one_create(
            manager=org.boss, report=org.report, held_on=date(2025, 3, 3)
        )

        assert created.is_skip_level is True

    @pytest.mark.parametrize(
        ("who", "with_whom"),
        [
            ("peer", "report"),  # another manager's report
            ("admin", "report"),
            ("leader", "report"),
            ("colleague", "report"),
            ("report", "manager"),  # upwards
            ("report", "report"),  # with yourself
            ("manager", "boss"),
            ("manager", "other_report"),
        ],
    )
    def test_anyone_else_is_refused_with_a_clear_message(self, org, who, with_whom):
        with pytest.raises(ValidationError) as error:
            one_on_ones.one_on_one_create(
                manager=getattr(org, who),
                report=getattr(org, with_whom),
                held_on=timezone.localdate(),
            )

        assert error.value.message_dict["report"] == [one_on_ones.NOT_YOUR_REPORT]
        assert OneOnOne.objects.count() == 1

    def test_a_deactivated_report_is_refused(self, org):
        org.report.is_active = False
        org.report.save()

        with pytest.raises(ValidationError):
            one_on_ones.one_on_one_create(
                manager=org.manager, report=org.report, held_on=timezone.localdate()
            )


class TestSelectors:
    @pytest.mark.parametrize("who", ["manager", "report"])
    def test_the_two_people_see_their_1_1(self, org, who):
        assert list(one_on_ones.one_on_ones_of(getattr(org, who))) == [org.one_on_one]

    @pytest.mark.parametrize("who", OUTSIDERS)
    def test_nobody_else_sees_it_whatever_their_role(self, org, who):
        assert not one_on_ones.one_on_ones_of(getattr(org, who)).exists()

    def test_a_private_note_is_read_only_by_its_author(self, org):
        assert one_on_ones.private_note_of(one_on_one=org.one_on_one, author=org.manager).body == (
            MANAGER_PRIVATE
        )
        assert one_on_ones.private_note_of(one_on_one=org.one_on_one, author=org.report).body == (
            REPORT_PRIVATE
        )
        assert one_on_ones.private_note_of(one_on_one=org.one_on_one, author=org.admin) is None

    def test_candidates_are_direct_and_skip_level_reports(self, org, make_user):
        make_user(manager=org.manager, is_active=False)

        assert set(one_on_ones.one_on_one_candidates(manager=org.boss)) == {
            org.manager,
            org.peer,
            org.report,
            org.other_report,
        }
        assert list(one_on_ones.one_on_one_candidates(manager=org.manager)) == [org.report]
        assert not one_on_ones.one_on_one_candidates(manager=org.colleague).exists()

    def test_counts_per_relation(self, org):
        make_one_on_one(org.boss, org.report, skip=True)
        make_one_on_one(org.boss, org.manager)

        assert one_on_ones.one_on_one_counts(user=org.manager) == {
            "all": 2,
            "manager": 1,
            "report": 1,
            "skip": 0,
        }
        assert one_on_ones.one_on_one_counts(user=org.report) == {
            "all": 2,
            "manager": 0,
            "report": 1,
            "skip": 1,
        }


class TestNotes:
    def test_one_private_note_per_author_saved_again_and_deleted_when_empty(self, org):
        note = one_on_ones.private_note_save(
            one_on_one=org.one_on_one, author=org.manager, body="  second thoughts  "
        )

        assert note.body == "second thoughts"
        assert OneOnOnePrivateNote.objects.filter(author=org.manager).count() == 1

        assert (
            one_on_ones.private_note_save(one_on_one=org.one_on_one, author=org.manager, body=" ")
            is None
        )
        assert not OneOnOnePrivateNote.objects.filter(author=org.manager).exists()
        assert OneOnOnePrivateNote.objects.filter(author=org.report).exists()

    @pytest.mark.parametrize("who", ["admin", "boss"])
    def test_nobody_else_can_write_notes_even_through_the_services(self, org, who):
        outsider = getattr(org, who)

        with pytest.raises(PermissionError):
            one_on_ones.private_note_save(one_on_one=org.one_on_one, author=outsider, body="x")
        with pytest.raises(PermissionError):
            one_on_ones.one_on_one_update_shared(
                one_on_one=org.one_on_one,
                by=outsider,
                held_on=timezone.localdate(),
                shared_notes="x",
            )
        org.one_on_one.refresh_from_db()
        assert org.one_on_one.shared_notes == SHARED_TEXT

    def test_saving_over_the_other_persons_newer_shared_notes_is_refused(self, org):
        seen = one_on_ones.version_of(org.one_on_one)
        one_on_ones.one_on_one_update_shared(
            one_on_one=OneOnOne.objects.get(pk=org.one_on_one.pk),
            by=org.report,
            held_on=org.one_on_one.held_on,
            shared_notes="Remy's newer notes",
            seen_version=seen,
        )

        with pytest.raises(one_on_ones.SharedNotesConflict) as conflict:
            one_on_ones.one_on_one_update_shared(
                one_on_one=org.one_on_one,
                by=org.manager,
                held_on=org.one_on_one.held_on,
                shared_notes="Max's older edit",
                seen_version=seen,
            )

        assert conflict.value.current.shared_notes == "Remy's newer notes"
        org.one_on_one.refresh_from_db()
        assert org.one_on_one.shared_notes == "Remy's newer notes"


# --- Pages: who gets what ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "report"])
def test_each_of_the_two_people_sees_the_shared_notes_and_only_their_own_private_note(
    client_for, org, who
):
    response = client_for(getattr(org, who)).get(org.urls()["detail"])

    page = response.content.decode()
    assert response.status_code == 200
    assert SHARED_TEXT in page
    mine, theirs = (
        (MANAGER_PRIVATE, REPORT_PRIVATE) if who == "manager" else (REPORT_PRIVATE, MANAGER_PRIVATE)
    )
    assert mine in page
    assert theirs not in page


@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_else_gets_404_on_the_page_and_the_note_urls_and_changes_nothing(
    client_for, org, who
):
    browser = client_for(getattr(org, who))
    urls = org.urls()

    responses = [
        browser.get(urls["detail"]),
        browser.post(urls["shared"], {"held_on": "2025-01-01", "shared_notes": "hijacked"}),
        browser.post(urls["private"], {"body": "planted"}),
        browser.post(
            urls["shared"], {"held_on": "2025-01-01", "shared_notes": "hijacked"}, headers=HTMX
        ),
        browser.post(urls["private"], {"body": "planted"}, headers=HTMX),
    ]

    for response in responses:
        assert response.status_code == 404
        body = response.content.decode()
        for text in ALL_NOTES:
            assert text not in body
    org.one_on_one.refresh_from_db()
    assert org.one_on_one.shared_notes == SHARED_TEXT
    assert org.one_on_one.held_on != date(2025, 1, 1)
    assert set(OneOnOnePrivateNote.objects.values_list("body", flat=True)) == {
        MANAGER_PRIVATE,
        REPORT_PRIVATE,
    }


def test_a_skip_level_is_private_to_its_two_people_too(client_for, org):
    skip = make_one_on_one(org.boss, org.report, skip=True, shared="SKIP-SHARED-6c0d")
    urls = org.urls(skip)

    assert client_for(org.boss).get(urls["detail"]).status_code == 200
    assert client_for(org.report).get(urls["detail"]).status_code == 200
    # The report's direct manager is not one of its two people.
    for outsider in (org.manager, org.admin, org.leader):
        assert client_for(outsider).get(urls["detail"]).status_code == 404


def test_a_missing_id_and_someone_elses_id_look_the_same(client_for, org):
    browser = client_for(org.admin)
    missing = browser.get(reverse("checkins:one_on_one_detail", args=[987_654_321]))
    not_mine = browser.get(org.urls()["detail"])

    assert missing.status_code == not_mine.status_code == 404

    def without_token(response) -> str:
        # CSRF tokens are masked afresh on every response.
        return re.sub(r"[A-Za-z0-9]{64}", "token", response.content.decode())

    assert without_token(missing) == without_token(not_mine)


def test_anonymous_people_are_sent_to_sign_in(anonymous_client, org):
    for url in (LIST_URL, CREATE_URL, org.urls()["detail"]):
        response = anonymous_client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    response = anonymous_client.post(org.urls()["private"], {"body": "planted"})
    assert response.status_code == 302
    assert not OneOnOnePrivateNote.objects.filter(body="planted").exists()


# --- Private notes -------------------------------------------------------------------------


def test_my_private_note_saved_by_htmx_is_never_in_the_other_persons_responses(client_for, org):
    manager_browser = client_for(org.manager)
    report_browser = client_for(org.report)
    urls = org.urls()

    saved = manager_browser.post(urls["private"], {"body": "MAX-NEW-PRIVATE-0b7e"}, headers=HTMX)

    assert saved.status_code == 200
    assert "<html" not in saved.content.decode()
    assert "MAX-NEW-PRIVATE-0b7e" in saved.content.decode()
    report_responses = [
        report_browser.get(urls["detail"]),
        report_browser.get(LIST_URL),
        report_browser.post(
            urls["shared"],
            {"held_on": org.one_on_one.held_on.isoformat(), "shared_notes": "Remy adds a line"},
            headers=HTMX,
        ),
        report_browser.post(urls["private"], {"body": "Remy's own"}, headers=HTMX),
        report_browser.post(urls["private"], {"body": "Remy's own"}),
        report_browser.get(urls["detail"]),
    ]
    for response in report_responses:
        body = response.content.decode()
        assert "MAX-NEW-PRIVATE-0b7e" not in body
        assert MANAGER_PRIVATE not in body


def test_saving_a_private_note_without_javascript_redirects_back(client_for, org):
    browser = client_for(org.report)

    response = browser.post(org.urls()["private"], {"body": "Ask about training budget"})

    assert response.status_code == 302
    assert response["Location"] == org.urls()["detail"]
    note = OneOnOnePrivateNote.objects.get(one_on_one=org.one_on_one, author=org.report)
    assert note.body == "Ask about training budget"
    page = browser.get(org.urls()["detail"]).content.decode()
    assert "Private note saved." in page


def test_an_empty_private_note_deletes_it(client_for, org):
    response = client_for(org.manager).post(org.urls()["private"], {"body": ""}, headers=HTMX)

    assert "Deleted" in response.content.decode()
    assert not OneOnOnePrivateNote.objects.filter(author=org.manager).exists()


# --- Shared notes --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "report"])
def test_both_people_edit_the_shared_notes(client_for, org, who):
    browser = client_for(getattr(org, who))
    page = browser.get(org.urls()["detail"]).content.decode()
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)

    response = browser.post(
        org.urls()["shared"],
        {
            "held_on": org.one_on_one.held_on.isoformat(),
            "shared_notes": f"Edited by {who}",
            "version": version,
        },
        headers=HTMX,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card grow" id="shared-notes"')
    assert "Saved" in body and f"Edited by {who}" in body
    assert "HX-Request" in response["Vary"]
    org.one_on_one.refresh_from_db()
    assert org.one_on_one.shared_notes == f"Edited by {who}"


def test_shared_notes_without_javascript_redirect_and_bad_dates_are_refused(client_for, org):
    browser = client_for(org.report)
    url = org.urls()["shared"]

    bad = browser.post(url, {"held_on": "not a date", "shared_notes": "Lost?"})
    assert bad.status_code == 400
    assert "Enter a valid date." in bad.content.decode()
    assert "Lost?" in bad.content.decode()  # what was typed is kept
    org.one_on_one.refresh_from_db()
    assert org.one_on_one.shared_notes == SHARED_TEXT

    good = browser.post(url, {"held_on": "2025-02-03", "shared_notes": "Fine now"})
    assert good.status_code == 302
    org.one_on_one.refresh_from_db()
    assert (org.one_on_one.held_on, org.one_on_one.shared_notes) == (date(2025, 2, 3), "Fine now")


def test_changing_the_date_by_htmx_reloads_the_page(client_for, org):
    response = client_for(org.manager).post(
        org.urls()["shared"],
        {"held_on": "2025-02-03", "shared_notes": SHARED_TEXT},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"


def test_a_save_over_newer_shared_notes_keeps_both_versions_on_screen(client_for, org):
    manager_browser, report_browser = client_for(org.manager), client_for(org.report)
    page = manager_browser.get(org.urls()["detail"]).content.decode()
    stale = re.search(r'name="version" value="([^"]+)"', page).group(1)
    held_on = org.one_on_one.held_on.isoformat()
    report_browser.post(
        org.urls()["shared"],
        {"held_on": held_on, "shared_notes": "Remy wrote this first", "version": stale},
    )

    response = manager_browser.post(
        org.urls()["shared"],
        {"held_on": held_on, "shared_notes": "Max typed this meanwhile", "version": stale},
        headers=HTMX,
    )

    body = response.content.decode()
    assert "changed by the other person" in body
    assert "Remy wrote this first" in body and "Max typed this meanwhile" in body
    org.one_on_one.refresh_from_db()
    assert org.one_on_one.shared_notes == "Remy wrote this first"

    # Saving again from the form shown now overwrites on purpose.
    fresh = re.search(r'name="version" value="([^"]+)"', body).group(1)
    manager_browser.post(
        org.urls()["shared"],
        {"held_on": held_on, "shared_notes": "Merged", "version": fresh},
        headers=HTMX,
    )
    org.one_on_one.refresh_from_db()
    assert org.one_on_one.shared_notes == "Merged"


# --- Starting a 1:1 ------------------------------------------------------------------------


def test_a_manager_starts_a_1_1_from_the_form(client_for, org):
    browser = client_for(org.manager)
    form = browser.get(CREATE_URL, {"report": org.report.pk}).content.decode()
    assert f'<option value="{org.report.pk}" selected>Remy Report</option>' in form

    response = browser.post(
        CREATE_URL, {"report": org.report.pk, "held_on": "2025-04-07", "shared_notes": "Agenda"}
    )

    created = OneOnOne.objects.exclude(pk=org.one_on_one.pk).get()
    assert response.status_code == 302
    assert response["Location"] == org.urls(created)["detail"]
    assert (created.manager, created.report, created.is_skip_level) == (
        org.manager,
        org.report,
        False,
    )
    assert created.shared_notes == "Agenda"


def test_the_skip_level_flag_is_set_by_the_relation_not_the_form(client_for, org):
    browser = client_for(org.boss)
    form = browser.get(CREATE_URL).content.decode()
    assert "Remy Report (skip-level)" in form and ">Max Manager<" in form

    browser.post(
        CREATE_URL, {"report": org.report.pk, "held_on": "2025-04-07", "is_skip_level": ""}
    )
    browser.post(
        CREATE_URL, {"report": org.manager.pk, "held_on": "2025-04-07", "is_skip_level": "on"}
    )

    assert OneOnOne.objects.get(manager=org.boss, report=org.report).is_skip_level is True
    assert OneOnOne.objects.get(manager=org.boss, report=org.manager).is_skip_level is False


@pytest.mark.parametrize("who", ["peer", "admin", "leader"])
def test_starting_a_1_1_with_someone_elses_report_is_refused(client_for, org, who):
    response = client_for(getattr(org, who)).post(
        CREATE_URL, {"report": org.report.pk, "held_on": "2025-04-07"}
    )

    assert response.status_code == 400
    assert one_on_ones.NOT_YOUR_REPORT in response.content.decode().replace("&#x27;", "'")
    assert OneOnOne.objects.count() == 1


def test_someone_with_nobody_to_meet_is_told_so(client_for, org):
    browser = client_for(org.colleague)

    page = browser.get(CREATE_URL).content.decode()
    assert "Nobody reports to you" in page
    assert "<select" not in page
    assert "Start a 1:1" not in browser.get(LIST_URL).content.decode().split("<h1>", 1)[1]

    refused = browser.post(CREATE_URL, {"report": org.report.pk, "held_on": "2025-04-07"})
    assert refused.status_code == 400
    assert one_on_ones.NOT_YOUR_REPORT in refused.content.decode()
    assert OneOnOne.objects.count() == 1


def test_a_bad_date_gets_a_message_and_creates_nothing(client_for, org):
    response = client_for(org.manager).post(
        CREATE_URL, {"report": org.report.pk, "held_on": "yesterday-ish"}
    )

    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    assert OneOnOne.objects.count() == 1


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_my_1_1s_by_relation_without_any_note_text(client_for, org):
    make_one_on_one(org.boss, org.manager, held_on=date(2025, 1, 6), shared=SHARED_TEXT)
    make_one_on_one(org.boss, org.report, held_on=date(2025, 1, 13), skip=True)
    make_one_on_one(org.peer, org.other_report, held_on=date(2025, 1, 20))
    browser = client_for(org.manager)

    everything = browser.get(LIST_URL).content.decode()
    assert "Remy Report" in everything and "Bea Boss" in everything
    assert "Ola Other" not in everything
    for text in ALL_NOTES:
        assert text not in everything

    as_report = browser.get(LIST_URL, {"as": "report"}).content.decode()
    results = as_report.split('id="one-on-one-results"', 1)[1]
    assert "Bea Boss" in results and "Remy Report" not in results

    report_view = client_for(org.report).get(
        LIST_URL, {"as": "skip"}, headers=HTMX | {"HX-Target": "one-on-one-results"}
    )
    partial = report_view.content.decode()
    assert "<html" not in partial
    assert "Bea Boss" in partial and "Skip-level" in partial and "Max Manager" not in partial


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_lists_do_not_show_the_1_1(client_for, org, who):
    page = client_for(getattr(org, who)).get(LIST_URL).content.decode()

    assert org.urls()["detail"] not in page
    for text in ALL_NOTES:
        assert text not in page


def test_the_list_runs_a_constant_number_of_queries(
    client_for, org, make_user, django_assert_max_num_queries
):
    browser = client_for(org.manager)

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(LIST_URL).status_code == 200
        return len(queries)

    def add(count):
        for index in range(count):
            person = make_user(manager=org.manager)
            make_one_on_one(org.manager, person, held_on=date(2025, 1, 1) + timedelta(days=index))
            make_one_on_one(org.boss, org.manager, held_on=date(2024, 1, 1) + timedelta(index))

    add(2)
    few = measure()
    add(20)
    assert measure() == few
    with django_assert_max_num_queries(20):
        browser.get(LIST_URL)


def test_the_detail_page_runs_a_fixed_number_of_queries(
    client_for, org, django_assert_max_num_queries
):
    browser = client_for(org.manager)
    # Statements (each after its SET search_path): domain, session, user, the 1:1 with
    # both people, my private note.
    with django_assert_max_num_queries(2 * 5):
        assert browser.get(org.urls()["detail"]).status_code == 200


# --- Nowhere else: the Django admin, other pages, other tenants ----------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/health/oneonone/",
        "/admin/health/oneononeprivatenote/",
        "/admin/health/checkin/",
        "/admin/accounts/user/",
    ],
)
def test_no_django_admin_page_on_the_organizations_host(client_for, org, path):
    browser = client_for(org.admin)

    assert browser.get(path).status_code == 404


def _parameterless_routes() -> list[str]:
    """Every URL of a tenant host that takes no argument, as a crawler would find them."""
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and not re.search(r"[<(\\^$*?\[]", route):
                routes.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(routes))


def test_the_crawl_covers_the_pages_that_matter():
    routes = _parameterless_routes()

    for expected in ("/", "/settings/users/", "/checkins/", "/checkins/team/", LIST_URL):
        assert expected in routes
    assert "/checkins/summary/" in routes


@pytest.mark.parametrize("who", ["admin", "leader", "boss", "manager", "report", "colleague"])
def test_no_page_without_an_id_contains_note_text(client_for, org, who):
    """Every argument-free page (dashboard, user list, check-ins, settings, API) as
    each person: none shows a 1:1 note, not even to the two people themselves."""
    make_one_on_one(org.boss, org.report, skip=True, shared=SHARED_TEXT)
    browser = client_for(getattr(org, who))
    browser.raise_request_exception = False  # pages still being built must not hide a leak

    checked = 0
    for route in _parameterless_routes():
        if "logout" in route:
            continue
        response = browser.get(route)
        body = response.getvalue().decode(errors="replace")
        for text in ALL_NOTES:
            assert text not in body, f"{route} shows a 1:1 note to {who}"
        checked += 1
    assert checked > 10


def test_another_organizations_1_1_is_404_here(client_for, tenant, other_tenant, org):
    connection.set_tenant(other_tenant)
    try:
        globex_manager = UserFactory(email="manager@globex.test")
        globex_report = UserFactory(email="report@globex.test", manager=globex_manager)
        foreign = OneOnOne.objects.create(
            pk=987_654_321,
            manager=globex_manager,
            report=globex_report,
            held_on=timezone.localdate(),
            shared_notes="GLOBEX-SHARED-2f9a",
        )
    finally:
        connection.set_tenant(tenant)
    urls = org.urls(foreign)

    for who in (org.manager, org.admin):
        browser = client_for(who)
        assert browser.get(urls["detail"]).status_code == 404
        assert browser.post(urls["private"], {"body": "planted"}).status_code == 404
        assert "GLOBEX-SHARED-2f9a" not in browser.get(LIST_URL).content.decode()
    # And the globex people still see their own 1:1 on their own host.
    own = client_for(globex_manager, organization=other_tenant).get(urls["detail"])
    assert own.status_code == 200
    assert "GLOBEX-SHARED-2f9a" in own.content.decode()
