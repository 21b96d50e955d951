"""The engagement list, creating and editing engagements, resets, notes and the quick log."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from engagements.models import Activity, Engagement, EngagementReset, PainPoint
from psops.accounts.models import Role
from tests.engagements.factories import (
    ActivityFactory,
    ClientFactory,
    EngagementFactory,
    FollowUpFactory,
    PainPointFactory,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("engagements:engagement_list")
NEW_URL = reverse("engagements:engagement_create")
HTMX = {"HX-Request": "true"}
RESULTS = HTMX | {"HX-Target": "engagement-results"}
TODAY = timezone.localdate()
ROW = re.compile(r'<td><a href="/engagements/(\d+)/">')
RESET_BY_FORM = "Use “Reset engagement” to record a formal reset."
SHRINKING = "A scaling problem grows: use 0 or more (a shrinking metric is not a scaling risk)."


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def ada(make_user):
    return make_user(Role.CONSULTANT, full_name="Ada Lovelace")


@pytest.fixture
def grace(make_user):
    return make_user(Role.LEADER, full_name="Grace Hopper")


@pytest.fixture
def browser(client_for, grace):
    return client_for(grace)


@pytest.fixture
def northwind():
    return ClientFactory(name="Northwind Traders")


@pytest.fixture
def rollout(northwind, ada):
    return EngagementFactory(
        client=northwind,
        name="Order platform rollout",
        status=Engagement.Status.ACTIVE,
        start_date=days(-30),
        target_end_date=days(60),
        lead=ada,
        team=[ada],
    )


def engagement_data(engagement=None, **changes) -> dict:
    if engagement is None:
        return changes
    data = {
        "client": engagement.client_id,
        "name": engagement.name,
        "kind": engagement.kind,
        "status": engagement.status,
        "start_date": engagement.start_date.isoformat() if engagement.start_date else "",
        "target_end_date": (
            engagement.target_end_date.isoformat() if engagement.target_end_date else ""
        ),
        "lead": engagement.lead_id or "",
        "team": list(engagement.team.values_list("pk", flat=True)),
        "budget_hours": engagement.budget_hours or "",
    }
    return data | changes


def field_errors(response, field: str) -> list[str]:
    """The errors a full-page form shows under one field."""
    match = re.search(
        rf'<ul class="field-errors" id="id_{field}-errors">(.*?)</ul>', response.content.decode()
    )
    return (
        [html.unescape(e) for e in re.findall(r"<li>(.*?)</li>", match.group(1))] if match else []
    )


def non_field_errors(response) -> list[str]:
    match = re.search(
        r'<div class="form-errors" role="alert">(.*?)</div>', response.content.decode()
    )
    return [html.unescape(e) for e in re.findall(r"<p>(.*?)</p>", match.group(1))] if match else []


def timeline(page: str) -> str:
    start = page.index('id="timeline"')
    return html.unescape(page[start : page.index("</section>", start)])


def sections(page: str) -> dict[str, list[int]]:
    """The engagement ids listed in each section of the list, by kind."""
    found = {}
    for part in page.split('<section class="card kind-')[1:]:
        kind = part.split('"', 1)[0]
        found[kind] = [int(pk) for pk in ROW.findall(part.split("</section>")[0])]
    return found


class TestCreating:
    def test_a_new_engagement_opens_with_its_creation_on_the_timeline(
        self, browser, northwind, ada
    ):
        response = browser.post(
            NEW_URL,
            {
                "client": northwind.pk,
                "name": "Warehouse go-live",
                "kind": Engagement.Kind.IMPLEMENTATION,
                "status": Engagement.Status.PLANNED,
                "start_date": days(7).isoformat(),
                "target_end_date": days(97).isoformat(),
                "lead": ada.pk,
                "team": [ada.pk],
                "budget_hours": "300",
            },
            follow=True,
        )

        engagement = Engagement.objects.get(name="Warehouse go-live")
        assert response.redirect_chain == [(engagement.get_absolute_url(), 302)]
        assert list(engagement.team.all()) == [ada]
        page = response.content.decode()
        assert "Engagement Warehouse go-live created." in page
        assert "Engagement created (Implementation project, planned)" in timeline(page)

    def test_the_client_can_be_preselected(self, browser, northwind):
        page = browser.get(NEW_URL, {"client": northwind.pk}).content.decode()

        assert f'<option value="{northwind.pk}" selected>Northwind Traders</option>' in page

    def test_an_end_before_the_start_is_a_field_error_and_nothing_is_created(
        self, browser, northwind
    ):
        response = browser.post(
            NEW_URL,
            {
                "client": northwind.pk,
                "name": "Backwards",
                "kind": "implementation",
                "status": "planned",
                "start_date": days(10).isoformat(),
                "target_end_date": days(9).isoformat(),
            },
        )

        assert response.status_code == 400
        assert field_errors(response, "target_end_date") == [
            "The target end date is before the start date."
        ]
        assert non_field_errors(response) == []  # said once, where the date is
        assert not Engagement.objects.exists()
        assert not Activity.objects.exists()

    def test_reset_is_not_a_status_to_start_with(self, browser, northwind):
        response = browser.post(
            NEW_URL,
            {"client": northwind.pk, "name": "Reset already", "kind": "success", "status": "reset"},
        )

        assert response.status_code == 400
        assert field_errors(response, "status") == [RESET_BY_FORM]
        assert not Engagement.objects.exists()


class TestEditing:
    def test_a_status_change_shows_on_the_timeline(self, browser, rollout, grace):
        response = browser.post(
            reverse("engagements:engagement_edit", args=[rollout.pk]),
            engagement_data(rollout, status=Engagement.Status.ON_HOLD),
            follow=True,
        )

        assert response.redirect_chain == [(rollout.get_absolute_url(), 302)]
        entries = timeline(response.content.decode())
        assert "Status changed from Active to On hold" in entries
        assert "Grace Hopper" in entries
        rollout.refresh_from_db()
        assert rollout.status == Engagement.Status.ON_HOLD

    def test_other_changes_leave_no_status_entry(self, browser, rollout):
        response = browser.post(
            reverse("engagements:engagement_edit", args=[rollout.pk]),
            engagement_data(rollout, name="Order platform, phase 1"),
            follow=True,
        )

        assert "<h1>Order platform, phase 1</h1>" in response.content.decode()
        assert "Status changed" not in timeline(response.content.decode())

    def test_the_edit_form_cannot_set_reset(self, browser, rollout):
        response = browser.post(
            reverse("engagements:engagement_edit", args=[rollout.pk]),
            engagement_data(rollout, status=Engagement.Status.RESET),
        )

        assert response.status_code == 400
        assert field_errors(response, "status") == [RESET_BY_FORM]
        rollout.refresh_from_db()
        assert rollout.status == Engagement.Status.ACTIVE

    def test_an_engagement_already_reset_can_still_be_edited(self, browser, rollout):
        Engagement.objects.filter(pk=rollout.pk).update(status=Engagement.Status.RESET)
        rollout.refresh_from_db()

        response = browser.post(
            reverse("engagements:engagement_edit", args=[rollout.pk]),
            engagement_data(rollout, budget_hours="500"),
        )

        assert response.status_code == 302
        rollout.refresh_from_db()
        assert rollout.budget_hours == 500
        assert rollout.status == Engagement.Status.RESET

    def test_an_end_before_the_start_is_refused(self, browser, rollout):
        response = browser.post(
            reverse("engagements:engagement_edit", args=[rollout.pk]),
            engagement_data(rollout, target_end_date=days(-31).isoformat()),
        )

        assert response.status_code == 400
        assert field_errors(response, "target_end_date") == [
            "The target end date is before the start date."
        ]
        rollout.refresh_from_db()
        assert rollout.target_end_date == days(60)


class TestTheList:
    def test_without_htmx_it_is_a_full_page_with_both_sections(self, browser, northwind, ada):
        project = EngagementFactory(client=northwind, lead=ada, kind="implementation")
        success = EngagementFactory(client=northwind, lead=ada, kind="success")

        response = browser.get(LIST_URL)

        page = response.content.decode()
        assert response.status_code == 200
        assert "<html" in page
        assert 'name="status"' in page  # the filters
        assert "Implementation projects" in page
        assert "Ongoing success" in page
        assert sections(page) == {"implementation": [project.pk], "success": [success.pk]}

    def test_an_htmx_filter_returns_only_the_results_with_the_right_rows(
        self, browser, northwind, ada
    ):
        active = EngagementFactory(client=northwind, lead=ada, status="active", name="A")
        EngagementFactory(client=northwind, lead=ada, status="on_hold", name="B")
        active_success = EngagementFactory(
            client=northwind, lead=ada, status="active", kind="success", name="C"
        )
        EngagementFactory(client=northwind, lead=ada, status="closed", kind="success", name="D")

        response = browser.get(LIST_URL, {"status": "active"}, headers=RESULTS)

        page = response.content.decode()
        assert response.status_code == 200
        assert page.lstrip().startswith('<div id="engagement-results">')
        assert "<html" not in page
        assert 'name="status"' not in page
        assert sections(page) == {"implementation": [active.pk], "success": [active_success.pk]}
        assert "HX-Request" in response["Vary"]

    def test_an_htmx_request_for_another_target_gets_the_full_page(self, browser, northwind):
        EngagementFactory(client=northwind)

        response = browser.get(LIST_URL, headers=HTMX | {"HX-Target": "main"})

        assert "<html" in response.content.decode()

    def test_filters_by_lead_and_by_client(self, browser, northwind, ada, grace):
        contoso = ClientFactory(name="Contoso Health")
        adas = EngagementFactory(client=northwind, lead=ada)
        graces = EngagementFactory(client=northwind, lead=grace)
        contosos = EngagementFactory(client=contoso, lead=ada)

        by_lead = browser.get(LIST_URL, {"lead": ada.pk}, headers=RESULTS).content.decode()
        by_client = browser.get(LIST_URL, {"client": contoso.pk}, headers=RESULTS)

        assert sorted(sections(by_lead)["implementation"]) == sorted([adas.pk, contosos.pk])
        assert graces.pk not in sections(by_lead)["implementation"]
        assert sections(by_client.content.decode())["implementation"] == [contosos.pk]

    def test_a_kind_filter_shows_only_that_section(self, browser, northwind):
        EngagementFactory(client=northwind, kind="implementation")
        success = EngagementFactory(client=northwind, kind="success")

        page = browser.get(LIST_URL, {"kind": "success"}, headers=RESULTS).content.decode()

        assert sections(page) == {"success": [success.pk]}

    def test_an_empty_section_says_nothing_matches(self, browser, northwind):
        EngagementFactory(client=northwind, kind="implementation", status="active")

        page = browser.get(LIST_URL, {"status": "closed"}).content.decode()

        assert "No implementation projects match these filters." in page

    def test_rows_show_open_pain_points_and_overdue_follow_ups(self, browser, northwind, ada):
        engagement = EngagementFactory(client=northwind, lead=ada)
        PainPointFactory(engagement=engagement)
        PainPointFactory(engagement=engagement)
        PainPointFactory(engagement=engagement, resolved=True)
        FollowUpFactory(engagement=engagement, overdue=True)
        FollowUpFactory(engagement=engagement)

        page = browser.get(LIST_URL).content.decode()

        row = page[page.index(f'<a href="/engagements/{engagement.pk}/">') :].split("</tr>")[0]
        assert '<td class="num">2</td>' in row
        assert '<span class="pill severity-high">1</span>' in row

    def test_twenty_five_a_section_and_pages_keep_the_filters(self, browser, northwind, ada):
        projects = [
            EngagementFactory(client=northwind, lead=ada, status="active", name=f"P{n:02}")
            for n in range(27)
        ]
        EngagementFactory(client=northwind, lead=ada, status="planned", name="Planned one")
        successes = [
            EngagementFactory(
                client=northwind, lead=ada, status="active", kind="success", name=f"S{n}"
            )
            for n in range(2)
        ]

        first = browser.get(LIST_URL, {"status": "active"}).content.decode()
        second = browser.get(LIST_URL, {"status": "active", "ipage": 2}, headers=RESULTS)

        assert sections(first)["implementation"] == [p.pk for p in projects[:25]]
        assert sections(first)["success"] == [s.pk for s in successes]
        assert "Page 1 of 2" in first
        assert 'href="?status=active&amp;ipage=2"' in first
        assert "spage=" not in first  # the success section fits on one page
        second = second.content.decode()
        assert sections(second)["implementation"] == [p.pk for p in projects[25:]]
        assert sections(second)["success"] == [s.pk for s in successes]
        assert 'href="?status=active&amp;ipage=1"' in second
        assert "Page 2 of 2" in second


class TestResetting:
    def url(self, engagement) -> str:
        return reverse("engagements:engagement_reset", args=[engagement.pk])

    def test_a_reset_shows_on_the_timeline(self, browser, rollout, ada, grace):
        response = browser.post(
            self.url(rollout),
            {
                "new_target_end_date": days(120).isoformat(),
                "team_add": [grace.pk],
                "team_remove": [ada.pk],
                "expectations": "Weekly steering with the sponsor.",
            },
            follow=True,
        )

        assert response.redirect_chain == [(rollout.get_absolute_url(), 302)]
        page = response.content.decode()
        assert "Engagement reset. The reset is on its timeline." in page
        entries = timeline(page)
        assert (
            f"Engagement reset: target date {days(60).isoformat()} → {days(120).isoformat()}; "
            "added Grace Hopper; removed Ada Lovelace" in entries
        )
        assert "Weekly steering with the sponsor." in entries
        rollout.refresh_from_db()
        assert rollout.status == Engagement.Status.RESET
        assert rollout.target_end_date == days(120)
        assert list(rollout.team.all()) == [grace]

    def test_missing_answers_are_field_errors(self, browser, rollout):
        response = browser.post(self.url(rollout), {"expectations": "   "})

        assert response.status_code == 400
        assert field_errors(response, "new_target_end_date") == ["This field is required."]
        assert field_errors(response, "expectations") == ["This field is required."]
        assert not EngagementReset.objects.exists()

    def test_a_date_before_the_start_is_a_field_error(self, browser, rollout):
        response = browser.post(
            self.url(rollout),
            {"new_target_end_date": days(-31).isoformat(), "expectations": "Try again."},
        )

        assert response.status_code == 400
        assert field_errors(response, "new_target_end_date") == [
            "The new target date is before the engagement's start."
        ]
        rollout.refresh_from_db()
        assert rollout.status == Engagement.Status.ACTIVE
        assert rollout.target_end_date == days(60)
        assert not EngagementReset.objects.exists()

    def test_only_people_outside_the_team_can_be_added(self, browser, rollout, ada):
        response = browser.post(
            self.url(rollout),
            {
                "new_target_end_date": days(90).isoformat(),
                "team_add": [ada.pk],
                "expectations": "More of Ada.",
            },
        )

        assert response.status_code == 400
        assert "team_add" in response.context["form"].errors
        assert not EngagementReset.objects.exists()

    def test_a_closed_engagement_cannot_be_reset(self, browser, rollout):
        Engagement.objects.filter(pk=rollout.pk).update(status=Engagement.Status.CLOSED)

        response = browser.post(
            self.url(rollout),
            {"new_target_end_date": days(90).isoformat(), "expectations": "Reopen it."},
        )

        assert response.status_code == 400
        assert non_field_errors(response) == ["A closed engagement cannot be reset."]
        assert not EngagementReset.objects.exists()
        detail = browser.get(rollout.get_absolute_url()).content.decode()
        assert "Reset engagement" not in detail


class TestTimelineNotes:
    def url(self, engagement) -> str:
        return reverse("engagements:engagement_note_add", args=[engagement.pk])

    def test_an_htmx_note_returns_the_timeline_with_it(self, browser, rollout, grace):
        ActivityFactory(engagement=rollout, summary="Kick-off held")

        response = browser.post(
            self.url(rollout),
            {"kind": "call_recap", "body": "Sponsor agreed to weekly calls.\nSend the recap."},
            headers=HTMX,
        )

        page = response.content.decode()
        assert response.status_code == 200
        assert page.lstrip().startswith('<section class="card" id="timeline"')
        assert "<html" not in page
        entries = timeline(page)
        assert "Call recap: Sponsor agreed to weekly calls." in entries
        assert "Send the recap." in entries
        assert "Kick-off held" in entries
        assert entries.index("Call recap") < entries.index("Kick-off held")  # newest first
        note = Activity.objects.get(kind=Activity.Kind.CALL_RECAP)
        assert note.actor == grace
        # The form is empty again, ready for the next note.
        assert "Sponsor agreed" not in page.split("</form>")[0]

    @pytest.mark.parametrize("body", ["", "   \n  "])
    def test_an_empty_note_is_an_error_and_nothing_is_saved(self, browser, rollout, body):
        response = browser.post(self.url(rollout), {"kind": "note", "body": body}, headers=HTMX)

        # Invalid input is a 400, which the page's htmx config swaps in like a 200.
        assert response.status_code == 400
        assert '<ul class="field-errors" id="id_body-errors"><li>This field is required.</li>' in (
            response.content.decode()
        )
        assert not Activity.objects.exists()

    def test_a_person_cannot_write_a_system_entry(self, browser, rollout):
        response = browser.post(
            self.url(rollout), {"kind": "status_change", "body": "Closed!"}, headers=HTMX
        )

        assert "Select a valid choice." in response.content.decode()
        assert not Activity.objects.exists()

    def test_without_htmx_a_note_returns_to_the_timeline(self, browser, rollout):
        response = browser.post(self.url(rollout), {"kind": "note", "body": "Plain form."})

        assert response.status_code == 302
        assert response["Location"] == rollout.get_absolute_url() + "#timeline"
        assert Activity.objects.filter(summary="Note: Plain form.").exists()

    def test_without_htmx_an_empty_note_says_why(self, browser, rollout):
        response = browser.post(self.url(rollout), {"kind": "note", "body": ""}, follow=True)

        assert "The note was not saved: This field is required." in response.content.decode()
        assert not Activity.objects.exists()


class TestQuickLog:
    def url(self, engagement) -> str:
        return reverse("engagements:pain_point_quick_log", args=[engagement.pk])

    def scaling(self, **changes) -> dict:
        data = {
            "title": "Orders per day near the limit",
            "category": "scaling",
            "severity": "high",
            "metric_name": "Orders per day",
            "metric_unit": "orders",
            "current_value": "1000",
            "capacity": "2000",
            "monthly_growth_pct": "10",
        }
        return data | changes

    # ln 2 / ln 1.1 = 7.27 months of compound 10 % growth to double: 221 days.
    EXPECTED = f"capacity reached in about 7.3 months, around {date_format(days(221))}"

    def test_a_scaling_pain_point_returns_the_list_with_its_projection(
        self, browser, rollout, grace
    ):
        response = browser.post(self.url(rollout), self.scaling(), headers=HTMX)

        page = html.unescape(response.content.decode())
        assert response.status_code == 200
        assert page.lstrip().startswith('<section class="card" id="pain-points"')
        assert "<html" not in page
        assert f"Logged “Orders per day near the limit”: {self.EXPECTED}." in page
        assert f"<strong>{self.EXPECTED}</strong>" in page
        assert response["HX-Trigger"] == "timeline-changed"
        pain_point = PainPoint.objects.get(engagement=rollout)
        assert pain_point.identified_by == grace
        assert pain_point.capacity == 2000
        # The form is empty again.
        assert 'value="Orders per day near the limit"' not in page

    def test_the_refreshed_timeline_has_the_projection(self, browser, rollout):
        browser.post(self.url(rollout), self.scaling(), headers=HTMX)

        response = browser.get(
            reverse("engagements:engagement_timeline", args=[rollout.pk]), headers=HTMX
        )

        assert (
            f"Pain point logged: Orders per day near the limit (High; {self.EXPECTED})"
            in timeline(response.content.decode())
        )

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"capacity": "0"}, "capacity", "The capacity must be above 0."),
            (
                {"monthly_growth_pct": "-2"},
                "monthly_growth_pct",
                SHRINKING,
            ),
            (
                {"metric_name": ""},
                "metric_name",
                "A scaling pain point needs the metric that grows.",
            ),
            ({"current_value": ""}, "current_value", "Enter today's value."),
            ({"current_value": "-5"}, "current_value", "The current value must be above 0."),
            ({"capacity": "1,500"}, "capacity", "Enter a number."),  # one message, not two
        ],
    )
    def test_unusable_numbers_are_field_errors_and_nothing_is_logged(
        self, browser, rollout, changes, field, message
    ):
        response = browser.post(self.url(rollout), self.scaling(**changes), headers=HTMX)

        page = response.content.decode()
        assert response.status_code == 400  # swapped in by the page's htmx config
        assert quick_log_errors(page) == {field: [message]}
        assert "<details open>" in page  # the numbers stay in view
        assert 'value="Orders per day near the limit"' in page  # and the input is kept
        assert "HX-Trigger" not in response
        assert not PainPoint.objects.exists()
        assert not Activity.objects.exists()

    def test_other_categories_need_no_numbers(self, browser, rollout):
        response = browser.post(
            self.url(rollout),
            {"title": "Nobody uses the reports", "category": "adoption", "severity": "low"},
            headers=HTMX,
        )

        page = response.content.decode()
        assert "Logged “Nobody uses the reports”." in page
        assert "field-errors" not in page
        assert PainPoint.objects.filter(title="Nobody uses the reports").exists()

    def test_without_htmx_it_returns_to_the_engagement(self, browser, rollout):
        response = browser.post(self.url(rollout), self.scaling(), follow=True)

        assert response.redirect_chain == [(rollout.get_absolute_url() + "#pain-points", 302)]
        assert "Pain point logged: Orders per day near the limit." in response.content.decode()

    def test_without_htmx_errors_show_on_the_engagement_page(self, browser, rollout):
        response = browser.post(self.url(rollout), self.scaling(capacity="0"))

        page = response.content.decode()
        assert response.status_code == 400
        assert "<h1>Order platform rollout</h1>" in page
        assert quick_log_errors(page) == {"capacity": ["The capacity must be above 0."]}
        assert not PainPoint.objects.exists()


def quick_log_errors(page: str) -> dict[str, list[str]]:
    found = re.findall(
        r'<div class="field field-invalid[^"]*"><label for="id_(\w+)">.*?'
        r'<ul class="field-errors">(.*?)</ul>',
        page,
        re.S,
    )
    return {
        name: [html.unescape(e) for e in re.findall(r"<li>(.*?)</li>", errors)]
        for name, errors in found
    }
