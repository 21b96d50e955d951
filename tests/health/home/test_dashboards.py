"""The three home pages: each role lands on its own, and none grows its query count with data."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engagements.models import Engagement, PainPoint
from handoffs.models import HandoffPacket
from tests.engagements.factories import EngagementFactory, FollowUpFactory
from tests.handoffs.factories import HandoffPacketFactory
from tests.health.factories import make_risk

pytestmark = pytest.mark.django_db


def queries_for(client, path="/", **headers) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **headers)
    assert response.status_code == 200
    return len(captured), response.content.decode()


class TestLanding:
    def test_a_leader_lands_on_the_dashboard(self, client_for, leader):
        html = client_for(leader).get("/").content.decode()

        assert "PS dashboard" in html
        assert "PS KPIs" in html
        assert "Handoff review queue" in html
        assert "Team pulse" in html
        assert "Open risks" in html

    def test_an_admin_lands_on_the_dashboard_too(self, client_for, admin_user):
        assert "PS dashboard" in client_for(admin_user).get("/").content.decode()

    def test_a_consultant_lands_on_their_day(self, client_for, consultant):
        engagement = EngagementFactory(lead=consultant, name="Order rollout")
        FollowUpFactory(
            engagement=engagement, owner=consultant, title="Send the recap", overdue=True
        )

        html = client_for(consultant).get("/").content.decode()

        assert "My follow-ups due" in html
        assert "Send the recap" in html
        assert "Order rollout" in html
        assert "Log a pain point" in html
        assert "not filed this week" in html
        assert "PS dashboard" not in html

    def test_sales_lands_on_its_handoffs(self, client_for, sales, leader):
        HandoffPacketFactory(filed_by=sales, deal_name="Globex renewal")
        HandoffPacketFactory(filed_by=leader, deal_name="Not mine")

        html = client_for(sales).get("/").content.decode()

        assert "Globex renewal" in html
        assert "Not mine" not in html
        assert "File a handoff" in html
        assert "PS dashboard" not in html

    def test_signing_in_takes_each_role_to_its_home(self, anonymous_client, consultant):
        from tests.factories import TEST_PASSWORD

        response = anonymous_client.post(
            "/accounts/login/",
            {"username": consultant.email, "password": TEST_PASSWORD},
            follow=True,
        )

        assert "My follow-ups due" in response.content.decode()


class TestLeaderDashboard:
    def test_overdue_follow_ups_and_engagement_counts_follow_the_filters(
        self, client_for, leader, consultant
    ):
        mine = EngagementFactory(lead=consultant, kind=Engagement.Kind.SUCCESS, name="Care plan")
        other = EngagementFactory(lead=leader, name="Warehouse go-live")
        FollowUpFactory(engagement=mine, title="Send the adoption report", overdue=True)
        FollowUpFactory(engagement=other, title="Confirm the cut-over", overdue=True)
        client = client_for(leader)

        everything = client.get("/").content.decode()
        assert "Send the adoption report" in everything
        assert "Confirm the cut-over" in everything

        filtered = client.get(
            f"/?lead={consultant.pk}&kind=success&period=30",
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="dashboard-body",
        ).content.decode()
        assert "<html" not in filtered
        assert "Send the adoption report" in filtered
        assert "Confirm the cut-over" not in filtered
        assert "Ongoing successs" not in filtered
        assert "Implementation projects" not in filtered

    def test_bad_filter_values_fall_back_to_defaults(self, client_for, leader):
        response = client_for(leader).get("/?lead=abc&kind=nonsense&period=7")

        assert response.status_code == 200
        assert "last 90 days" in response.content.decode()

    def test_the_review_queue_shows_waiting_packets(self, client_for, leader):
        HandoffPacketFactory(submitted=True, deal_name="Tailspin crew scheduling")
        HandoffPacketFactory(deal_name="Still a draft")

        html = client_for(leader).get("/").content.decode()

        assert "Tailspin crew scheduling" in html
        assert "Still a draft" not in html

    def test_open_risks_follow_the_lead_and_kind_filters(self, client_for, leader, consultant):
        implementation = EngagementFactory(kind=Engagement.Kind.IMPLEMENTATION, lead=leader)
        success = EngagementFactory(kind=Engagement.Kind.SUCCESS, lead=consultant)
        make_risk(engagement=implementation, title="Implementation slipping")
        make_risk(engagement=success, title="Renewal at risk")
        make_risk(title="Handoff review stuck: Tailspin")
        browser = client_for(leader)

        def open_risks(query: str) -> str:
            html = browser.get(f"/{query}").content.decode()
            return html.split('id="risks-title"', 1)[1].split("</section>", 1)[0]

        everything = open_risks("")
        assert "(3)" in everything
        assert "Implementation slipping" in everything and "Tailspin" in everything
        assert "left out" not in everything

        ongoing = open_risks("?kind=success")
        assert "(1)" in ongoing
        assert "Renewal at risk" in ongoing
        assert "Implementation slipping" not in ongoing and "Tailspin" not in ongoing
        assert "stuck handoff reviews, which belong to no engagement yet, are left out" in ongoing

        theirs = open_risks(f"?lead={leader.pk}")
        assert "Implementation slipping" in theirs and "Renewal at risk" not in theirs

    def test_acknowledged_risks_are_kept_apart_from_new_ones(self, client_for, leader):
        from health.models import Risk

        make_risk(title="Brand new risk")
        make_risk(title="Seen and handled", status=Risk.Status.ACKNOWLEDGED)

        html = client_for(leader).get("/").content.decode()
        section = html.split('id="risks-title"', 1)[1].split("</section>", 1)[0]

        assert "(2)" in section
        new, acknowledged = section.split("<details", 1)
        assert "Brand new risk" in new and "Seen and handled" not in new
        assert "Acknowledged, still open (1)" in acknowledged
        assert "Seen and handled" in acknowledged

    def test_panels_that_cannot_follow_the_filters_say_so(self, client_for, leader):
        html = client_for(leader).get(f"/?lead={leader.pk}").content.decode()

        assert "Not filtered by lead: a packet has its lead once accepted." in html
        assert "an anonymous pulse is never narrowed" in html
        assert "never narrowed" not in client_for(leader).get("/").content.decode()

    def test_an_admin_sees_how_long_the_queue_is_but_not_the_deals(self, client_for, admin_user):
        packet = HandoffPacketFactory(submitted=True, deal_name="Tailspin crew scheduling")

        html = client_for(admin_user).get("/").content.decode()

        assert "1 waiting" in html
        assert "Tailspin crew scheduling" not in html
        assert packet.get_absolute_url() not in html
        assert 'href="/handoffs/"' not in html

    def test_the_query_count_does_not_grow_with_data(self, client_for, leader, consultant):
        def build(n):
            for index in range(n):
                engagement = EngagementFactory(
                    lead=consultant if index % 2 else leader,
                    kind=Engagement.Kind.SUCCESS if index % 3 else Engagement.Kind.IMPLEMENTATION,
                )
                FollowUpFactory(engagement=engagement, overdue=True)
                PainPoint.objects.create(
                    engagement=engagement,
                    title=f"Pain {index}",
                    identified_by=consultant,
                    status="resolved",
                    resolved_on=timezone.localdate(),
                    identified_on=timezone.localdate() - datetime.timedelta(days=20),
                )
                HandoffPacketFactory(submitted=True)

        client = client_for(leader)
        client.get("/")  # settings rows and caches created on first use
        build(3)
        few, _ = queries_for(client)
        build(27)
        many, html = queries_for(client)

        assert many == few
        assert html.count('class="overdue"') == 10  # the oldest ten of thirty


class TestConsultantHome:
    def test_the_quick_log_records_a_pain_point_on_the_chosen_engagement(
        self, client_for, consultant
    ):
        engagement = EngagementFactory(lead=consultant)

        response = client_for(consultant).post(
            "/home/quick-log/",
            {
                "engagement": engagement.pk,
                "title": "Nightly import too slow",
                "category": "scaling",
                "severity": "high",
                "metric_name": "Rows per night",
                "metric_unit": "rows",
                "current_value": "800",
                "capacity": "1000",
                "monthly_growth_pct": "5",
            },
            HTTP_HX_REQUEST="true",
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert "Logged on" in html
        assert "capacity reached in about 4.6 months" in html
        assert engagement.pain_points.get().title == "Nightly import too slow"

    def test_the_quick_log_starts_on_the_engagement_touched_last(self, client_for, consultant):
        from engagements.models import Activity

        EngagementFactory(lead=consultant, name="Aardvark rollout")
        recent = EngagementFactory(lead=consultant, name="Zebra migration")
        Activity.objects.create(
            engagement=recent, kind=Activity.Kind.NOTE, summary="Call notes", actor=consultant
        )

        html = client_for(consultant).get("/").content.decode()

        selected = re.findall(r'<option value="(\d+)" selected>', html)
        assert selected == [str(recent.pk)]
        # A shortcut at the top of the page goes straight to the form.
        assert html.index('href="#quick-engagement"') < html.index('id="followups-title"')

    def test_after_logging_the_same_engagement_stays_chosen(self, client_for, consultant):
        EngagementFactory(lead=consultant, name="Aardvark rollout")
        second = EngagementFactory(lead=consultant, name="Zebra migration")

        response = client_for(consultant).post(
            "/home/quick-log/",
            {"engagement": second.pk, "title": "Slow", "category": "other", "severity": "low"},
            HTTP_HX_REQUEST="true",
        )

        assert re.findall(r'<option value="(\d+)" selected>', response.content.decode()) == [
            str(second.pk)
        ]

    def test_an_engagement_the_user_cannot_see_is_refused(self, client_for, sales, consultant):
        hidden = EngagementFactory(lead=consultant)

        response = client_for(sales).post(
            "/home/quick-log/",
            {"engagement": hidden.pk, "title": "x", "category": "other", "severity": "low"},
        )

        assert response.status_code == 403
        assert not hidden.pain_points.exists()

    def test_no_engagement_chosen_is_an_error_and_nothing_is_saved(self, client_for, consultant):
        EngagementFactory(lead=consultant)

        response = client_for(consultant).post(
            "/home/quick-log/",
            {"engagement": "", "title": "Slow", "category": "other", "severity": "low"},
            HTTP_HX_REQUEST="true",
        )

        assert response.status_code == 400
        assert "Choose the engagement" in response.content.decode()
        assert not PainPoint.objects.exists()

    def test_my_engagements_come_ten_at_a_time_each_once(self, client_for, consultant, make_user):
        colleague = make_user(role="consultant")
        for index in range(12):
            led = EngagementFactory(lead=consultant, name=f"Led {index:02d}")
            led.team.add(consultant, colleague)  # lead and on the team: still listed once
        on_team = EngagementFactory(lead=colleague, name="Helping out")
        on_team.team.add(consultant)
        FollowUpFactory(engagement=on_team, owner=consultant)
        EngagementFactory(lead=consultant, name="Done", status=Engagement.Status.CLOSED)
        EngagementFactory(lead=colleague, name="Not mine")
        client = client_for(consultant)

        def listed(html: str) -> list[str]:
            section = html.split('id="my-engagements"', 1)[1].split("</section>", 1)[0]
            return re.findall(r">[^<>]*: ([^<>]+)</a>", section)

        first = client.get("/").content.decode()
        assert "My engagements <span" in first and "(13)" in first
        assert len(listed(first)) == 10
        # The next ten swap into the section alone.
        second = client.get(
            "/?engagements_page=2", headers={"HX-Request": "true", "HX-Target": "my-engagements"}
        )
        assert second.content.decode().lstrip().startswith('<section class="card" id="my-')
        names = listed(first) + listed(second.content.decode())
        assert sorted(names) == sorted([f"Led {i:02d}" for i in range(12)] + ["Helping out"])
        row = re.search(r"Helping out</a>.*?</tr>", second.content.decode(), flags=re.DOTALL)
        assert '<td class="num">1</td>' in row[0]
        # The quick log still offers every open engagement.
        quick = first.split('id="quick-engagement"', 1)[1].split("</select>", 1)[0]
        assert quick.count("<option ") == 13

    def test_the_home_query_count_does_not_grow_with_data(self, client_for, consultant):
        def build(n):
            for _ in range(n):
                engagement = EngagementFactory(lead=consultant)
                FollowUpFactory(engagement=engagement, owner=consultant, overdue=True)

        client = client_for(consultant)
        client.get("/")
        build(2)
        few, _ = queries_for(client)
        build(18)
        many, _ = queries_for(client)

        assert many == few


def test_sales_home_query_count_does_not_grow(client_for, sales):
    client = client_for(sales)
    client.get("/")
    for _ in range(3):
        HandoffPacketFactory(filed_by=sales)
    few, _ = queries_for(client)
    for _ in range(27):
        HandoffPacketFactory(filed_by=sales, status=HandoffPacket.Status.DRAFT)
    many, _ = queries_for(client)

    assert many == few
