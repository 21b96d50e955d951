"""Pain points, recommendations, follow-ups and escalations, through their pages."""

import datetime
import html
import re
from collections import defaultdict
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from engagements import services
from engagements.forms import RecommendationForm
from engagements.models import (
    Activity,
    Engagement,
    Escalation,
    FollowUp,
    PainPoint,
    Recommendation,
)
from psops.accounts.models import Role
from tests.engagements.factories import (
    ClientFactory,
    EngagementFactory,
    EscalationFactory,
    FollowUpFactory,
    PainPointFactory,
    RecommendationFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TODAY = timezone.localdate()
FOLLOWUP_ROW = re.compile(r'<tr id="followup-(\d+)" class="(overdue)?">')


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
def rollout(ada):
    return EngagementFactory(
        client=ClientFactory(name="Northwind Traders"),
        name="Order platform rollout",
        status=Engagement.Status.ACTIVE,
        lead=ada,
    )


def timeline(page: str) -> str:
    start = page.index('id="timeline"')
    return html.unescape(page[start : page.index("</section>", start)])


def field_errors(response, field: str) -> list[str]:
    match = re.search(
        rf'<ul class="field-errors" id="id_{field}-errors">(.*?)</ul>', response.content.decode()
    )
    return (
        [html.unescape(e) for e in re.findall(r"<li>(.*?)</li>", match.group(1))] if match else []
    )


def scaling(engagement, current, capacity, growth, **fields) -> PainPoint:
    return PainPointFactory(
        engagement=engagement,
        scaling=True,
        current_value=Decimal(current),
        capacity=Decimal(capacity),
        monthly_growth_pct=Decimal(growth),
        **fields,
    )


class TestThePainPointPage:
    def projection(self, browser, pain_point) -> str:
        page = browser.get(pain_point.get_absolute_url()).content.decode()
        match = re.search(r'<p class="projection-result projection-(\w+)">(.*?)</p>', page)
        return f"{match.group(1)}: {html.unescape(match.group(2))}"

    def test_a_growing_metric_shows_when_it_reaches_capacity(self, browser, rollout):
        # ln 2 / ln 1.1 = 7.27 months of compound 10 % growth to double: 221 days.
        pain_point = scaling(rollout, "1000", "2000", "10", metric_name="Orders per day")

        response = browser.get(pain_point.get_absolute_url())

        page = response.content.decode()
        assert response.status_code == 200
        assert (
            "Orders per day: <strong>1,000</strong> orders today, capacity <strong>2,000</strong> "
            "orders, growing <strong>10%</strong> a month" in page
        )
        assert self.projection(browser, pain_point) == (
            f"reached: Capacity reached in about 7.3 months, around {date_format(days(221))}."
        )

    def test_a_metric_past_its_capacity_is_already_over(self, browser, rollout):
        pain_point = scaling(rollout, "1600", "1500", "5")

        assert self.projection(browser, pain_point) == "already_over: Already over capacity."

    @pytest.mark.parametrize(("capacity", "growth"), [("1500", "0"), ("10000", "1")])
    def test_slow_growth_is_not_within_five_years(self, browser, rollout, capacity, growth):
        pain_point = scaling(rollout, "1000", capacity, growth)

        assert self.projection(browser, pain_point) == ("not_within_horizon: Not within 5 years.")

    def test_other_pain_points_have_no_projection(self, browser, rollout):
        pain_point = PainPointFactory(engagement=rollout, category="adoption")

        page = browser.get(pain_point.get_absolute_url()).content.decode()

        assert "Scaling projection" not in page

    def test_it_lists_its_recommendations_and_who_decided(self, browser, rollout):
        pain_point = PainPointFactory(engagement=rollout)
        RecommendationFactory(
            engagement=rollout,
            pain_point=pain_point,
            title="Add a read replica",
            status="deferred",
            decided_by_name="Dana Ortiz",
            decided_by_role="VP Sales",
            decided_on=TODAY,
            decision_reason="Budget freeze until Q3.",
        )

        page = html.unescape(browser.get(pain_point.get_absolute_url()).content.decode())

        assert (
            "<strong>Add a read replica</strong> · Deferred by Dana Ortiz (VP Sales): "
            "Budget freeze until Q3." in page
        )


class TestLoggingAPainPoint:
    def data(self, **changes) -> dict:
        data = {
            "title": "Checkout slows at peak",
            "description": "",
            "category": "scaling",
            "severity": "high",
            "status": "open",
            "identified_on": TODAY.isoformat(),
            "resolution": "",
            "metric_name": "Orders per hour",
            "metric_unit": "orders",
            "current_value": "500",
            "capacity": "1000",
            "monthly_growth_pct": "10",
        }
        return data | changes

    def test_the_full_form_opens_the_pain_point_with_its_projection(self, browser, rollout):
        sponsor = StakeholderFactory(client=rollout.client, name="Dana Whitfield")

        response = browser.post(
            reverse("engagements:pain_point_create", args=[rollout.pk]),
            self.data(affected_stakeholders=[sponsor.pk]),
            follow=True,
        )

        pain_point = PainPoint.objects.get(title="Checkout slows at peak")
        assert response.redirect_chain == [(pain_point.get_absolute_url(), 302)]
        page = html.unescape(response.content.decode())
        assert "Pain point logged: Checkout slows at peak." in page
        assert f"Capacity reached in about 7.3 months, around {date_format(days(221))}." in page
        assert "<dt>Affects</dt><dd>Dana Whitfield</dd>" in page

    def test_a_scaling_pain_point_without_numbers_is_refused(self, browser, rollout):
        response = browser.post(
            reverse("engagements:pain_point_create", args=[rollout.pk]),
            self.data(capacity="", monthly_growth_pct="-1"),
        )

        assert response.status_code == 400
        assert field_errors(response, "capacity") == [
            "Enter the capacity: the value where it breaks."
        ]
        assert field_errors(response, "monthly_growth_pct") == [
            "A scaling problem grows: use 0 or more (a shrinking metric is not a scaling risk)."
        ]
        assert not PainPoint.objects.exists()

    def test_a_stakeholder_of_another_client_is_refused(self, browser, rollout):
        stranger = StakeholderFactory(name="Stranger")

        response = browser.post(
            reverse("engagements:pain_point_create", args=[rollout.pk]),
            self.data(affected_stakeholders=[stranger.pk]),
        )

        assert response.status_code == 400
        assert "affected_stakeholders" in response.context["form"].errors
        assert not PainPoint.objects.exists()

    def test_resolving_it_puts_the_resolution_on_the_timeline(self, browser, rollout):
        pain_point = scaling(rollout, "500", "1000", "10", title="Checkout slows at peak")

        response = browser.post(
            reverse("engagements:pain_point_edit", args=[pain_point.pk]),
            self.data(status="resolved", resolution="Moved to the new cluster."),
            follow=True,
        )

        assert response.redirect_chain == [(pain_point.get_absolute_url(), 302)]
        assert f"<dt>Resolved</dt><dd>{date_format(TODAY)}</dd>" in response.content.decode()
        entries = timeline(browser.get(rollout.get_absolute_url()).content.decode())
        assert "Pain point resolved: Checkout slows at peak" in entries
        assert "Moved to the new cluster." in entries


class TestRecommendations:
    def test_one_recorded_for_a_pain_point_shows_on_the_engagement(self, browser, rollout):
        pain_point = PainPointFactory(engagement=rollout, title="Checkout slows at peak")
        url = reverse("engagements:recommendation_create", args=[rollout.pk])
        form = browser.get(url, {"pain_point": pain_point.pk}).content.decode()
        assert f'<option value="{pain_point.pk}" selected>Checkout slows at peak</option>' in form

        response = browser.post(
            url,
            {
                "title": "Add a read replica",
                "rationale": "Reads dominate.",
                "effort_days": "4.5",
                "pain_point": pain_point.pk,
                "proposed_on": TODAY.isoformat(),
            },
            follow=True,
        )

        assert response.redirect_chain == [(rollout.get_absolute_url() + "#recommendations", 302)]
        page = response.content.decode()
        assert "Recommendation recorded: Add a read replica." in page
        assert "<strong>Add a read replica</strong>" in page
        assert f'4.5 days · for <a href="{pain_point.get_absolute_url()}">' in page

    def test_a_pain_point_of_another_engagement_is_refused(self, browser, rollout):
        elsewhere = PainPointFactory(title="Elsewhere")

        response = browser.post(
            reverse("engagements:recommendation_create", args=[rollout.pk]),
            {"title": "Fix it", "pain_point": elsewhere.pk, "proposed_on": TODAY.isoformat()},
        )

        assert response.status_code == 400
        assert "pain_point" in response.context["form"].errors
        assert not Recommendation.objects.exists()


class TestEditingARecommendation:
    def test_saving_an_edit_keeps_a_decision_recorded_while_it_was_open(
        self, browser, rollout, grace, monkeypatch
    ):
        recommendation = RecommendationFactory(engagement=rollout, title="Add a read replica")
        url = reverse("engagements:recommendation_edit", args=[recommendation.pk])
        data = form_values(browser.get(url)) | {"title": ["Add two read replicas"]}
        validate = RecommendationForm.is_valid

        def validated_then_decided_elsewhere(form):
            valid = validate(form)
            services.recommendation_decide(
                recommendation=recommendation,
                by=grace,
                status=Recommendation.Status.ACCEPTED,
                decided_by_name="Dana Ortiz",
                decided_by_role="CFO",
                decided_on=None,
                decision_reason="",
            )
            return valid

        monkeypatch.setattr(RecommendationForm, "is_valid", validated_then_decided_elsewhere)

        response = browser.post(url, data)

        assert response.status_code == 302
        recommendation.refresh_from_db()
        assert recommendation.title == "Add two read replicas"
        assert recommendation.status == Recommendation.Status.ACCEPTED
        assert recommendation.decided_by == "Dana Ortiz (CFO)"
        assert recommendation.decided_on == TODAY


class TestDecidingARecommendation:
    @pytest.fixture
    def recommendation(self, rollout):
        return RecommendationFactory(engagement=rollout, title="Add a read replica")

    def url(self, recommendation) -> str:
        return reverse("engagements:recommendation_decide", args=[recommendation.pk])

    def test_the_form_starts_at_accepted_today(self, browser, recommendation):
        response = browser.get(self.url(recommendation))

        assert response.context["form"]["status"].value() == "accepted"
        assert f'value="{TODAY.isoformat()}"' in response.content.decode()

    @pytest.mark.parametrize(
        ("status", "message"),
        [("deferred", "Say why it was deferred."), ("declined", "Say why it was declined.")],
    )
    @pytest.mark.parametrize("reason", ["", "   "])
    def test_deferring_or_declining_without_a_reason_changes_nothing(
        self, browser, recommendation, status, message, reason
    ):
        response = browser.post(
            self.url(recommendation),
            {"status": status, "decided_by_name": "Dana Ortiz", "decision_reason": reason},
        )

        assert response.status_code == 400
        assert field_errors(response, "decision_reason") == [message]
        recommendation.refresh_from_db()
        assert recommendation.status == Recommendation.Status.PROPOSED
        assert recommendation.decided_on is None
        assert not Activity.objects.exists()

    def test_a_deferral_with_a_reason_names_who_decided_on_the_timeline(
        self, browser, recommendation, grace
    ):
        response = browser.post(
            self.url(recommendation),
            {
                "status": "deferred",
                "decided_by_name": "Dana Ortiz",
                "decided_by_role": "VP Sales",
                "decided_on": days(-1).isoformat(),
                "decision_reason": "Budget freeze until Q3.",
            },
            follow=True,
        )

        assert response.redirect_chain == [
            (recommendation.engagement.get_absolute_url() + "#recommendations", 302)
        ]
        page = response.content.decode()
        assert "Decision recorded on the timeline." in page
        entries = timeline(page)
        assert "Recommendation deferred by Dana Ortiz (VP Sales): Add a read replica" in entries
        assert "Budget freeze until Q3." in entries
        assert "Grace Hopper" in entries
        assert (
            f"Deferred {date_format(days(-1))} by Dana Ortiz (VP Sales): Budget freeze until Q3."
            in html.unescape(page)
        )
        recommendation.refresh_from_db()
        assert recommendation.status == Recommendation.Status.DEFERRED

    def test_an_acceptance_needs_no_reason(self, browser, recommendation):
        response = browser.post(
            self.url(recommendation), {"status": "accepted", "decided_by_name": "Dana Ortiz"}
        )

        assert response.status_code == 302
        entries = timeline(
            browser.get(recommendation.engagement.get_absolute_url()).content.decode()
        )
        assert "Recommendation accepted by Dana Ortiz: Add a read replica" in entries

    def test_proposed_is_not_a_decision(self, browser, recommendation):
        response = browser.post(self.url(recommendation), {"status": "proposed"})

        assert response.status_code == 400
        assert "status" in response.context["form"].errors
        assert not Activity.objects.exists()


class TestFollowUps:
    def test_a_new_follow_up_is_mine_unless_i_pick_someone(self, browser, rollout, grace):
        response = browser.get(reverse("engagements:followup_create", args=[rollout.pk]))

        assert response.context["form"]["owner"].value() == grace.pk

    def test_a_stakeholder_of_another_client_is_refused(self, browser, rollout, grace):
        stranger = StakeholderFactory(name="Stranger")

        response = browser.post(
            reverse("engagements:followup_create", args=[rollout.pk]),
            {
                "title": "Send the recap",
                "owner": grace.pk,
                "due_on": days(2).isoformat(),
                "channel": "email",
                "stakeholder": stranger.pk,
            },
        )

        assert response.status_code == 400
        assert "stakeholder" in response.context["form"].errors
        assert not FollowUp.objects.exists()

    def test_sales_people_cannot_own_a_follow_up(self, browser, rollout, sales):
        response = browser.post(
            reverse("engagements:followup_create", args=[rollout.pk]),
            {"title": "Recap", "owner": sales.pk, "due_on": TODAY.isoformat(), "channel": "email"},
        )

        assert response.status_code == 400
        assert "owner" in response.context["form"].errors
        assert not FollowUp.objects.exists()


class TestMarkingAFollowUpDone:
    @pytest.fixture
    def followup(self, rollout, ada):
        return FollowUpFactory(engagement=rollout, owner=ada, title="Send the recap")

    def url(self, followup) -> str:
        return reverse("engagements:followup_done", args=[followup.pk])

    def test_over_htmx_the_row_comes_back_done(self, browser, followup, grace):
        response = browser.post(self.url(followup), headers=HTMX)

        row = response.content.decode()
        assert response.status_code == 200
        assert row.lstrip().startswith(f'<tr id="followup-{followup.pk}"')
        assert "<html" not in row
        assert f"Done {TODAY.day} {TODAY:%b %Y}" in row
        assert "Mark done" not in row
        assert response["HX-Trigger"] == "timeline-changed"
        entry = Activity.objects.get(kind=Activity.Kind.FOLLOWUP)
        assert entry.summary == "Follow-up done: Send the recap"
        assert entry.actor == grace
        refreshed = browser.get(
            reverse("engagements:engagement_timeline", args=[followup.engagement_id]),
            headers=HTMX,
        )
        assert "Follow-up done: Send the recap" in timeline(refreshed.content.decode())

    def test_a_second_post_is_harmless(self, browser, followup):
        browser.post(self.url(followup), headers=HTMX)
        followup.refresh_from_db()
        completed_at = followup.completed_at

        response = browser.post(self.url(followup), headers=HTMX)

        assert response.status_code == 200
        assert "Done" in response.content.decode()
        assert "field-errors" not in response.content.decode()
        followup.refresh_from_db()
        assert followup.completed_at == completed_at
        assert Activity.objects.filter(kind=Activity.Kind.FOLLOWUP).count() == 1

    def test_a_cancelled_one_cannot_be_done(self, browser, followup):
        FollowUp.objects.filter(pk=followup.pk).update(status=FollowUp.Status.CANCELLED)

        response = browser.post(self.url(followup), headers=HTMX)

        row = response.content.decode()
        assert "A cancelled follow-up cannot be marked done." in row
        assert "HX-Trigger" not in response
        followup.refresh_from_db()
        assert followup.status == FollowUp.Status.CANCELLED
        assert not Activity.objects.exists()

    def test_without_htmx_it_returns_to_the_engagement(self, browser, followup, rollout):
        response = browser.post(self.url(followup), follow=True)

        assert response.redirect_chain == [(rollout.get_absolute_url(), 302)]
        assert "Done: Send the recap." in response.content.decode()

    def test_cancelling_over_htmx_returns_the_row_without_actions(self, browser, followup):
        response = browser.post(
            reverse("engagements:followup_cancel", args=[followup.pk]), headers=HTMX
        )

        row = response.content.decode()
        assert "Cancelled" in row
        assert "Mark done" not in row
        followup.refresh_from_db()
        assert followup.status == FollowUp.Status.CANCELLED


class TestMyFollowUps:
    URL = reverse("engagements:followups_mine")

    def test_only_my_open_ones_overdue_first(self, client_for, ada, grace, rollout):
        later = FollowUpFactory(owner=ada, due_on=days(5), title="Later")
        overdue = FollowUpFactory(owner=ada, due_on=days(-2), title="A bit late")
        very_overdue = FollowUpFactory(owner=ada, due_on=days(-10), title="Very late")
        today = FollowUpFactory(owner=ada, due_on=TODAY, title="Today")
        FollowUpFactory(owner=ada, due_on=days(-20), done=True, title="Done already")
        FollowUpFactory(owner=ada, due_on=days(-20), status="cancelled", title="Called off")
        FollowUpFactory(owner=grace, due_on=days(-30), title="Grace's")

        response = client_for(ada).get(self.URL)

        rows = FOLLOWUP_ROW.findall(response.content.decode())
        assert rows == [
            (str(very_overdue.pk), "overdue"),
            (str(overdue.pk), "overdue"),
            (str(today.pk), ""),
            (str(later.pk), ""),
        ]
        page = response.content.decode()
        assert page.count('<span class="pill severity-high">Overdue</span>') == 2
        assert f"{very_overdue.engagement.client.name}: {very_overdue.engagement.name}" in page

    def test_nothing_open_says_so(self, client_for, ada):
        FollowUpFactory(owner=ada, done=True)

        page = client_for(ada).get(self.URL).content.decode()

        assert "Nothing open. Every follow-up you own is done." in page

    def test_marking_one_done_from_here_keeps_the_engagement_link(self, client_for, ada):
        followup = FollowUpFactory(owner=ada, overdue=True)
        page = client_for(ada).get(self.URL).content.decode()
        assert '<input type="hidden" name="context" value="mine">' in page

        response = client_for(ada).post(
            reverse("engagements:followup_done", args=[followup.pk]),
            {"context": "mine", "next": self.URL},
            headers=HTMX,
        )

        row = response.content.decode()
        assert f'href="{followup.engagement.get_absolute_url()}"' in row
        assert "Overdue" not in row
        assert "Done" in row

    def test_without_htmx_marking_done_comes_back_here(self, client_for, ada):
        followup = FollowUpFactory(owner=ada)

        response = client_for(ada).post(
            reverse("engagements:followup_done", args=[followup.pk]),
            {"context": "mine", "next": self.URL},
        )

        assert response.status_code == 302
        assert response["Location"] == self.URL

    @pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/x"])
    def test_marking_done_never_sends_anyone_to_another_site(self, client_for, ada, elsewhere):
        followup = FollowUpFactory(owner=ada)

        response = client_for(ada).post(
            reverse("engagements:followup_done", args=[followup.pk]), {"next": elsewhere}
        )

        assert response.status_code == 302
        assert response["Location"] == followup.engagement.get_absolute_url()
        followup.refresh_from_db()
        assert followup.status == FollowUp.Status.DONE


class TestEscalations:
    @pytest.fixture
    def people(self, rollout):
        hana = StakeholderFactory(
            client=rollout.client, name="Hana High", affected="high", engagements=[rollout]
        )
        lou = StakeholderFactory(
            client=rollout.client, name="Lou Low", affected="low", engagements=[rollout]
        )
        return hana, lou

    def url(self, engagement) -> str:
        return reverse("engagements:escalation_create", args=[engagement.pk])

    def data(self, *stakeholders) -> dict:
        return {
            "title": "Go-live at risk",
            "severity": "critical",
            "description": "Data migration failed twice.",
            "affected_stakeholders": [s.pk for s in stakeholders],
        }

    def test_leaving_out_a_highly_affected_person_warns_and_creates_nothing(
        self, browser, rollout, people
    ):
        _, lou = people

        response = browser.post(self.url(rollout), self.data(lou))

        page = response.content.decode()
        assert response.status_code == 200
        assert (
            "This escalation leaves out Hana High, marked as highly affected. "
            "Add them, or confirm that they should not be on it." in page
        )
        assert "Raise anyway" in page
        assert not Escalation.objects.exists()
        assert not Activity.objects.exists()

    def test_reposting_the_warned_form_raises_it(self, browser, rollout, people, grace):
        _, lou = people
        warned = browser.post(self.url(rollout), self.data(lou))
        assert form_values(warned)["confirm_left_out"] == ["True"]

        response = browser.post(self.url(rollout), form_values(warned), follow=True)

        assert response.redirect_chain == [(rollout.get_absolute_url() + "#escalations", 302)]
        escalation = Escalation.objects.get()
        assert escalation.title == "Go-live at risk"
        assert list(escalation.affected_stakeholders.all()) == [lou]
        assert escalation.raised_by == grace
        page = response.content.decode()
        assert "Escalation raised: Go-live at risk." in page
        entries = timeline(page)
        assert "Escalation raised (Critical): Go-live at risk" in entries
        assert "Raised without: Hana High" in entries

    def test_with_the_highly_affected_on_it_it_is_raised_at_once(self, browser, rollout, people):
        hana, _ = people

        response = browser.post(self.url(rollout), self.data(hana))

        assert response.status_code == 302
        assert list(Escalation.objects.get().affected_stakeholders.all()) == [hana]

    def test_highly_affected_people_off_this_engagement_are_not_asked_for(self, browser, rollout):
        StakeholderFactory(client=rollout.client, name="Other Project Person", affected="high")

        response = browser.post(self.url(rollout), self.data())

        assert response.status_code == 302
        assert Escalation.objects.exists()

    def test_a_title_is_required(self, browser, rollout, people):
        hana, _ = people

        response = browser.post(self.url(rollout), self.data(hana) | {"title": ""})

        assert response.status_code == 400
        assert field_errors(response, "title") == ["This field is required."]
        assert not Escalation.objects.exists()

    def test_a_status_change_is_on_the_timeline(self, browser, rollout):
        escalation = EscalationFactory(engagement=rollout, title="Go-live at risk")

        response = browser.post(
            reverse("engagements:escalation_status", args=[escalation.pk]),
            {"status": "mitigating"},
            follow=True,
        )

        assert response.redirect_chain == [(rollout.get_absolute_url() + "#escalations", 302)]
        page = response.content.decode()
        assert "Escalation is now mitigating." in page
        assert "Escalation mitigating: Go-live at risk" in timeline(page)

    def test_an_unknown_status_changes_nothing(self, browser, rollout):
        escalation = EscalationFactory(engagement=rollout)

        response = browser.post(
            reverse("engagements:escalation_status", args=[escalation.pk]),
            {"status": "forgotten"},
            follow=True,
        )

        assert "Choose a valid status." in response.content.decode()
        escalation.refresh_from_db()
        assert escalation.status == Escalation.Status.OPEN
        assert not Activity.objects.exists()


class _FormValues(HTMLParser):
    """What a browser would send for the page's form, as it stands."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = defaultdict(list)
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values[name].append(attrs.get("value", "on"))
            elif kind not in ("submit", "button"):
                self.values[name].append(attrs.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select].append(attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Browsers drop the newline right after <textarea>.
            self.values[self._textarea].append(self._text.removeprefix("\n"))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def form_values(response) -> dict[str, list[str]]:
    """The values of the page's own form (the one in <main>, not the sign-out form)."""
    page = response.content.decode()
    main = page[page.index('<main id="main"') : page.index("</main>")]
    parser = _FormValues()
    parser.feed(main)
    return dict(parser.values)
