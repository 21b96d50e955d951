"""Filing, submitting and listing handoff packets, and the whole flow from deal to engagement.

Every step goes through the pages on acme's host, the way sales and PS leaders use
them: forms are posted with the values the page rendered (management forms included),
and emails are captured after the transaction commits.
"""

import datetime
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engagements.models import Client, Engagement, FollowUp, Stakeholder
from handoffs.models import (
    HandoffComment,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    Verdict,
)
from handoffs.selectors import business_days_between
from psops.accounts.models import OrganizationSettings, Role
from tests.engagements.factories import ClientFactory, EngagementFactory
from tests.handoffs.factories import (
    HandoffCommentFactory,
    HandoffItemFactory,
    HandoffPacketFactory,
    HandoffReviewFactory,
    HandoffStakeholderFactory,
    HandoffVerdictFactory,
)
from tests.handoffs.pages import form_values, review_data

pytestmark = pytest.mark.django_db

LIST_URL = "/handoffs/"
NEW_URL = "/handoffs/new/"


def detail_url(packet) -> str:
    return f"/handoffs/{packet.pk}/"


def section(page: str, title_id: str) -> str:
    """The <section> labelled by the heading with this id."""
    match = re.search(
        rf'<section[^>]*aria-labelledby="{title_id}".*?</section>', page, flags=re.DOTALL
    )
    assert match, f"no section {title_id}"
    return match[0]


def row_with(html: str, text: str) -> str:
    """The one table row that mentions ``text``."""
    rows = [row for row in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.DOTALL) if text in row]
    assert len(rows) == 1, f"{len(rows)} rows mention {text!r}"
    return rows[0]


def cells(row: str) -> list[str]:
    """Each cell's text, tags and extra whitespace removed."""
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)
    ]


def queue_rows(queue_html: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", queue_html.split("<tbody>", 1)[1], flags=re.DOTALL)


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def submit_capturing_mail(django_capture_on_commit_callbacks, mailoutbox):
    """POST as ``browser`` and return the response and the emails sent after commit."""

    def post(browser, url, data=None, **extra):
        sent_before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(url, data or {}, **extra)
        return response, mailoutbox[sent_before:]

    return post


class TestTheWholeFlow:
    def test_a_closed_deal_becomes_a_planned_engagement_after_two_review_rounds(
        self, tenant, sales, leader, consultant, make_user, client_for, submit_capturing_mail
    ):
        seller, boss = client_for(sales), client_for(leader)
        start = timezone.localdate() + datetime.timedelta(days=21)
        clients_before = Client.objects.count()

        # Sales files a first draft: a new client, a custom requirement and a champion.
        # No deliverable, no success criteria, no sponsor yet.
        new_page = seller.get(NEW_URL)
        assert new_page.status_code == 200
        data = form_values(new_page)
        assert data["items-TOTAL_FORMS"] == "3"
        assert data["items-INITIAL_FORMS"] == "0"
        assert data["stakeholders-TOTAL_FORMS"] == "2"
        data |= {
            "deal_name": "Northwind rollout",
            "crm_id": "OPP-1001",
            "new_client_name": "Northwind Freight",
            "contract_value": "250000",
            "currency": "EUR",
            "signed_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
            "requested_start": start.isoformat(),
            "engagement_kind": Engagement.Kind.SUCCESS,
            "goals": "Every order ships the day it is placed.",
            "items-0-kind": HandoffItem.Kind.CUSTOM_REQUIREMENT,
            "items-0-description": "EDI connector to their carrier",
            "stakeholders-0-name": "Dana Champion",
            "stakeholders-0-title": "Warehouse lead",
            "stakeholders-0-role": Stakeholder.Role.CHAMPION,
        }
        response = seller.post(NEW_URL, data, follow=True)

        packet = HandoffPacket.objects.get(crm_id="OPP-1001")
        assert response.redirect_chain == [(detail_url(packet), 302)]
        assert page_messages(response) == [
            "Saved Northwind rollout. Still needed before you can submit: at least one "
            "deliverable, success criteria, a sponsor among the stakeholders."
        ]
        assert (packet.status, packet.filed_by, packet.new_client_name) == (
            HandoffPacket.Status.DRAFT,
            sales,
            "Northwind Freight",
        )
        assert [(i.kind, i.description) for i in packet.items.all()] == [
            (HandoffItem.Kind.CUSTOM_REQUIREMENT, "EDI connector to their carrier")
        ]
        assert [(s.name, s.role) for s in packet.stakeholders.all()] == [
            ("Dana Champion", Stakeholder.Role.CHAMPION)
        ]

        # Submitting says exactly what is missing and changes nothing.
        response, mail = submit_capturing_mail(
            seller, f"/handoffs/{packet.pk}/submit/", follow=True
        )
        assert page_messages(response) == [
            "Before submitting, add at least one deliverable, success criteria, "
            "a sponsor among the stakeholders."
        ]
        assert mail == []
        packet.refresh_from_db()
        assert (packet.status, packet.review_round, packet.submitted_at) == ("draft", 0, None)

        # Sales completes the packet on the edit page and submits it: round 1.
        data = form_values(seller.get(f"/handoffs/{packet.pk}/edit/"))
        assert data["items-INITIAL_FORMS"] == "1"
        assert data["items-0-description"] == "EDI connector to their carrier"
        data |= {
            "success_criteria": "95% of orders ship the same day by the end of Q3.",
            "items-1-kind": HandoffItem.Kind.DELIVERABLE,
            "items-1-description": "Warehouse integration",
            "stakeholders-1-name": "Sam Sponsor",
            "stakeholders-1-email": "sam@northwind.test",
            "stakeholders-1-role": Stakeholder.Role.SPONSOR,
        }
        response = seller.post(f"/handoffs/{packet.pk}/edit/", data, follow=True)
        assert page_messages(response) == ["Saved Northwind rollout."]

        response, mail = submit_capturing_mail(
            seller, f"/handoffs/{packet.pk}/submit/", follow=True
        )

        assert page_messages(response) == ["Submitted. PS leaders have been notified."]
        packet.refresh_from_db()
        assert (packet.status, packet.review_round) == (HandoffPacket.Status.SUBMITTED, 1)
        assert packet.submitted_at is not None
        assert len(mail) == 1
        assert mail[0].to == [leader.email]
        assert mail[0].subject == "Handoff to review: Northwind rollout"
        assert f"http://acme.localhost:8000/handoffs/{packet.pk}/" in mail[0].body
        assert "Northwind Freight" in mail[0].body
        # Submitted means frozen for sales.
        assert "Submit for review" not in response.content.decode()

        # Round 1: the leader flags the deliverable as custom work and requests changes.
        edi, warehouse = packet.items.order_by("id")
        review_page = boss.get(f"/handoffs/{packet.pk}/review/")
        assert review_page.status_code == 200
        assert "Warehouse integration" in review_page.content.decode()
        response, mail = submit_capturing_mail(
            boss,
            f"/handoffs/{packet.pk}/review/",
            review_data(
                packet,
                decision=HandoffReview.Decision.REQUEST_CHANGES,
                verdicts={warehouse: (Verdict.NEEDS_CUSTOM_WORK, "Their WMS has no API.")},
                scores={"custom_work_priced": 0, "discovery_done": 1},
                comments="Price the WMS work, or drop it.",
            ),
        )

        assert response.status_code == 302
        assert response["Location"] == detail_url(packet)
        packet.refresh_from_db()
        assert packet.status == HandoffPacket.Status.CHANGES_REQUESTED
        assert len(mail) == 1
        assert mail[0].to == [sales.email]
        assert mail[0].subject == 'Your handoff "Northwind rollout": changes requested'
        assert "Price the WMS work, or drop it." in mail[0].body
        assert "Readiness: 9/12" in mail[0].body

        # Sales edits (an assumption, a corrected value) and resubmits: round 2.
        data = form_values(seller.get(f"/handoffs/{packet.pk}/edit/"))
        data |= {
            "contract_value": "280000",
            "items-2-kind": HandoffItem.Kind.ASSUMPTION,
            "items-2-description": "They provide a sandbox",
        }
        assert seller.post(f"/handoffs/{packet.pk}/edit/", data).status_code == 302
        response, mail = submit_capturing_mail(seller, f"/handoffs/{packet.pk}/submit/")

        packet.refresh_from_db()
        assert (packet.status, packet.review_round) == (HandoffPacket.Status.SUBMITTED, 2)
        assert [m.subject for m in mail] == ["Handoff to review: Northwind rollout (resubmitted)"]

        # Round 2: the leader accepts; only the EDI connector needs custom work now.
        response, mail = submit_capturing_mail(
            boss,
            f"/handoffs/{packet.pk}/review/",
            review_data(
                packet,
                decision=HandoffReview.Decision.ACCEPT,
                verdicts={edi: (Verdict.NEEDS_CUSTOM_WORK, "Two weeks of build.")},
                lead=consultant,
                comments="Good to go.",
            ),
        )

        packet.refresh_from_db()
        engagement = packet.engagement
        assert engagement is not None
        assert response.status_code == 302
        assert response["Location"] == f"/engagements/{engagement.pk}/"
        assert packet.status == HandoffPacket.Status.ACCEPTED
        assert [m.subject for m in mail] == ['Your handoff "Northwind rollout": accepted']
        assert mail[0].to == [sales.email]

        assert Client.objects.count() == clients_before + 1
        client = Client.objects.get(name="Northwind Freight")
        assert packet.client == client
        assert (
            engagement.name,
            engagement.client,
            engagement.kind,
            engagement.start_date,
            engagement.lead,
            engagement.sold_by,
            engagement.status,
        ) == (
            "Northwind rollout",
            client,
            Engagement.Kind.SUCCESS,
            start,
            consultant,
            sales,
            Engagement.Status.PLANNED,
        )
        assert list(engagement.team.all()) == [consultant]

        stakeholders = {s.name: s for s in client.stakeholders.all()}
        assert set(stakeholders) == {"Dana Champion", "Sam Sponsor"}
        assert all(list(s.engagements.all()) == [engagement] for s in stakeholders.values())
        assert stakeholders["Sam Sponsor"].role == Stakeholder.Role.SPONSOR
        assert stakeholders["Sam Sponsor"].email == "sam@northwind.test"

        followups = {f.title: f for f in engagement.followups.all()}
        assert set(followups) == {
            "Kickoff call: Northwind rollout",
            "Scope and price custom work: EDI connector to their carrier",
        }
        kickoff = followups["Kickoff call: Northwind rollout"]
        assert (kickoff.owner, kickoff.stakeholder, kickoff.channel) == (
            consultant,
            stakeholders["Sam Sponsor"],
            FollowUp.Channel.MEETING,
        )

        # Both rounds stay on the packet page, with their verdicts and readiness.
        page = boss.get(detail_url(packet)).content.decode()
        reviews = section(page, "reviews-title")
        assert "Round 1: Request changes" in reviews
        assert "Readiness <strong>9/12 (75%)</strong>" in reviews
        assert "Their WMS has no API." in reviews
        assert "Round 2: Accept" in reviews
        assert "Readiness <strong>12/12 (100%)</strong>" in reviews
        assert "Two weeks of build." in reviews
        assert f'href="/engagements/{engagement.pk}/"' in page

        # The sales rep can follow its deal into delivery.
        engagement_page = seller.get(f"/engagements/{engagement.pk}/")
        assert engagement_page.status_code == 200
        assert "Northwind rollout" in engagement_page.content.decode()
        other_rep = client_for(make_user(Role.SALES))
        assert other_rep.get(f"/engagements/{engagement.pk}/").status_code == 404


class TestFiling:
    def test_a_client_that_exists_already_must_be_picked_not_retyped(self, sales, client_for):
        ClientFactory(name="Initech")
        seller = client_for(sales)
        data = form_values(seller.get(NEW_URL)) | {
            "deal_name": "Initech upsell",
            "new_client_name": "initech",
        }

        response = seller.post(NEW_URL, data)

        assert response.status_code == 400
        assert response.context["form"].errors["new_client_name"] == [
            "This client exists already: pick it above."
        ]
        assert not HandoffPacket.objects.exists()

    def test_a_packet_for_an_existing_client_saves_with_it(self, sales, client_for):
        initech = ClientFactory(name="Initech")
        seller = client_for(sales)
        data = form_values(seller.get(NEW_URL)) | {
            "deal_name": "Initech upsell",
            "client": str(initech.pk),
            "items-0-kind": HandoffItem.Kind.DELIVERABLE,
            "items-0-description": "A second site",
        }

        assert seller.post(NEW_URL, data).status_code == 302

        packet = HandoffPacket.objects.get()
        assert (packet.client, packet.new_client_name) == (initech, "")
        assert packet.items.count() == 1

    def test_an_invalid_item_row_saves_nothing(self, sales, client_for):
        seller = client_for(sales)
        data = form_values(seller.get(NEW_URL)) | {
            "deal_name": "Half-filled",
            "new_client_name": "Hooli",
            "items-0-description": "A kind is missing",
        }

        response = seller.post(NEW_URL, data)

        assert response.status_code == 400
        assert response.context["items"].errors[0]["kind"] == ["This field is required."]
        assert not HandoffPacket.objects.exists()
        assert not HandoffItem.objects.exists()

    @pytest.mark.parametrize(
        ("what", "missing"),
        [
            ("deliverable", "at least one deliverable"),
            ("success_criteria", "success criteria"),
            ("sponsor", "a sponsor among the stakeholders"),
        ],
    )
    def test_submitting_without_one_piece_names_that_piece(
        self, sales, leader, client_for, submit_capturing_mail, what, missing
    ):
        packet = HandoffPacketFactory(filed_by=sales, ready=True)
        HandoffItemFactory(packet=packet, kind=HandoffItem.Kind.ASSUMPTION)
        HandoffStakeholderFactory(packet=packet, role=Stakeholder.Role.CHAMPION)
        if what == "deliverable":
            packet.items.filter(kind=HandoffItem.Kind.DELIVERABLE).delete()
        elif what == "success_criteria":
            HandoffPacket.objects.filter(pk=packet.pk).update(success_criteria="  ")
        else:
            packet.stakeholders.filter(role=Stakeholder.Role.SPONSOR).delete()

        response, mail = submit_capturing_mail(
            client_for(sales), f"/handoffs/{packet.pk}/submit/", follow=True
        )

        assert page_messages(response) == [f"Before submitting, add {missing}."]
        page = response.content.decode()
        assert f"Submitting needs {missing}:" in page
        # The button says it cannot be used yet, and why.
        assert re.search(
            r'<button type="submit" class="button" aria-describedby="missing" disabled>', page
        )
        assert mail == []
        packet.refresh_from_db()
        assert (packet.status, packet.review_round) == (HandoffPacket.Status.DRAFT, 0)
        assert not packet.events.filter(kind="submitted").exists()

    def test_the_assigned_consultant_is_told_too(
        self, sales, leader, consultant, client_for, submit_capturing_mail
    ):
        packet = HandoffPacketFactory(
            filed_by=sales, ready=True, assigned_reviewer=consultant, deal_name="Hooli pilot"
        )

        _, mail = submit_capturing_mail(client_for(sales), f"/handoffs/{packet.pk}/submit/")

        # One email each (no one sees who else was told), and a notice in the app.
        assert sorted(message.to for message in mail) == sorted(
            [[leader.email], [consultant.email]]
        )
        for person in (leader, consultant):
            (notice,) = person.notifications.all()
            assert notice.title == "Handoff to review: Hooli pilot"
            assert notice.url.endswith(f"/handoffs/{packet.pk}/")
            bell = client_for(person).get("/notifications/").content.decode()
            assert "Handoff to review: Hooli pilot" in bell

    def test_a_resubmission_is_a_new_notice(self, sales, leader, client_for):
        packet = HandoffPacketFactory(filed_by=sales, ready=True, deal_name="Hooli pilot")
        seller = client_for(sales)
        seller.post(f"/handoffs/{packet.pk}/submit/")
        HandoffPacket.objects.filter(pk=packet.pk).update(
            status=HandoffPacket.Status.CHANGES_REQUESTED
        )

        seller.post(f"/handoffs/{packet.pk}/submit/")

        titles = sorted(leader.notifications.values_list("title", flat=True))
        assert titles == [
            "Handoff to review: Hooli pilot",
            "Handoff to review: Hooli pilot (resubmitted)",
        ]


class TestReviewQueue:
    @pytest.fixture
    def waiting(self, leader):
        """Submitted packets waiting 0, 5 and 10 business days (noon, the leader's time)."""
        zone = zoneinfo.ZoneInfo(leader.time_zone)
        today = timezone.localdate(timezone=zone)

        def submitted(days_ago: int, name: str) -> HandoffPacket:
            day = today - datetime.timedelta(days=days_ago)
            at = datetime.datetime.combine(day, datetime.time(12), tzinfo=zone)
            return HandoffPacketFactory(
                submitted=True, deal_name=name, submitted_at=at, first_submitted_at=at
            )

        # Whole weeks, so the ages do not depend on today's weekday.
        return [submitted(0, "Fresh deal"), submitted(7, "Week-old deal"), submitted(14, "Stale")]

    def test_a_leader_sees_how_long_each_packet_waits_and_which_are_overdue(
        self, client_for, leader, waiting
    ):
        HandoffPacketFactory(deal_name="Still a draft")

        page = client_for(leader).get(LIST_URL).content.decode()

        queue = section(page, "queue-title")
        assert "Still a draft" not in queue
        assert [re.search(r"Stale|Week-old deal|Fresh deal", r)[0] for r in queue_rows(queue)] == [
            "Stale",
            "Week-old deal",
            "Fresh deal",
        ]
        assert "0 business days" in row_with(queue, "Fresh deal")
        assert "Overdue" not in row_with(queue, "Fresh deal")
        assert "5 business days" in row_with(queue, "Week-old deal")
        assert "Overdue" in row_with(queue, "Week-old deal")
        assert "10 business days" in row_with(queue, "Stale")
        assert "Overdue" in row_with(queue, "Stale")

    def test_the_organizations_own_sla_decides_what_is_overdue(self, client_for, leader, waiting):
        OrganizationSettings.objects.update_or_create(
            id=1, defaults={"review_sla_business_days": 5}
        )

        queue = section(client_for(leader).get(LIST_URL).content.decode(), "queue-title")

        assert "Overdue" not in row_with(queue, "Week-old deal")
        assert "Overdue" in row_with(queue, "Stale")

    def test_a_long_queue_shows_the_oldest_and_counts_them_all(self, client_for, leader):
        zone = zoneinfo.ZoneInfo(leader.time_zone)
        today = timezone.localdate(timezone=zone)
        for weeks in range(30):  # whole weeks: ages of 0, 5, 10, ... business days
            at = datetime.datetime.combine(
                today - datetime.timedelta(weeks=weeks), datetime.time(12), tzinfo=zone
            )
            HandoffPacketFactory(
                submitted=True,
                deal_name=f"Deal {weeks:02d}",
                submitted_at=at,
                first_submitted_at=at,
            )

        page = client_for(leader).get(LIST_URL).content.decode()

        queue = section(page, "queue-title")
        rows = queue_rows(queue)
        assert len(rows) == 25
        assert "Deal 29" in rows[0] and "Deal 05" in rows[-1]  # the 25 waiting longest
        # Everything older than a week is past the default SLA of 3 business days.
        assert "30 waiting" in queue and "29 past the review SLA" in queue
        assert 'href="?status=submitted"' in queue

    def test_the_overdue_count_agrees_with_each_packets_age(self):
        from handoffs.selectors import first_on_time_day

        start = datetime.date(2025, 6, 2)
        for today in (start + datetime.timedelta(days=n) for n in range(14)):
            for sla in (0, 1, 3, 5, 10):
                first = first_on_time_day(today=today, sla_business_days=sla)
                for back in range(40):
                    day = today - datetime.timedelta(days=back)
                    overdue = business_days_between(day, today) > sla
                    assert overdue == (day < first), (today, sla, day)

    def test_sales_and_consultants_have_no_queue(self, client_for, sales, consultant, waiting):
        for user in (sales, consultant):
            page = client_for(user).get(LIST_URL).content.decode()
            assert "Review queue" not in page

    @pytest.mark.parametrize(
        ("start", "end", "business_days"),
        [
            ("2025-06-06", "2025-06-06", 0),  # Friday, same day
            ("2025-06-06", "2025-06-07", 0),  # Friday to Saturday
            ("2025-06-06", "2025-06-09", 1),  # Friday to Monday
            ("2025-06-07", "2025-06-09", 1),  # Saturday to Monday
            ("2025-06-02", "2025-06-06", 4),  # Monday to Friday
            ("2025-06-02", "2025-06-09", 5),  # a whole week
            ("2025-06-04", "2025-06-18", 10),  # two weeks from a Wednesday
            ("2025-06-05", "2025-06-24", 13),  # Thursday to the Tuesday 2.5 weeks later
            ("2025-06-09", "2025-06-06", 0),  # backwards
        ],
    )
    def test_business_days_skip_weekends(self, start, end, business_days):
        assert (
            business_days_between(
                datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
            )
            == business_days
        )


class TestMyHandoffs:
    def test_sales_sees_only_its_own_packets_with_status_and_outcome(
        self, client_for, sales, make_user
    ):
        HandoffPacketFactory(filed_by=sales, deal_name="My draft")
        HandoffPacketFactory(filed_by=sales, submitted=True, deal_name="My submitted")
        HandoffPacketFactory(
            filed_by=sales, status=HandoffPacket.Status.CHANGES_REQUESTED, deal_name="My sent back"
        )
        HandoffPacketFactory(
            filed_by=sales,
            status=HandoffPacket.Status.REJECTED,
            rejection_reason="No budget.",
            deal_name="My rejected",
        )
        HandoffPacketFactory(
            filed_by=sales,
            status=HandoffPacket.Status.ACCEPTED,
            deal_name="My accepted",
            engagement=EngagementFactory(name="Globex go-live", sold_by=sales),
        )
        HandoffPacketFactory(
            filed_by=make_user(Role.SALES), submitted=True, deal_name="Someone else's deal"
        )

        page = client_for(sales).get(LIST_URL).content.decode()

        assert "<h1>My handoffs</h1>" in page
        assert "Someone else" not in page
        packets = section(page, "packets-title")
        expected = {
            "My draft": ("Draft", "—"),
            "My submitted": ("Submitted", "In review"),
            "My sent back": ("Changes requested", "Back with sales"),
            "My rejected": ("Rejected", "Rejected"),
            "My accepted": ("Accepted", "Engagement: Globex go-live"),
        }
        for deal, (status, outcome) in expected.items():
            row = cells(row_with(packets, deal))
            assert (row[2], row[-1]) == (status, outcome), deal

    def test_a_sales_rep_without_packets_is_invited_to_file_one(self, client_for, sales):
        page = client_for(sales).get(LIST_URL).content.decode()

        assert "You have not filed a handoff yet." in page

    def test_the_list_counts_surprises_per_item_across_rounds(self, client_for, leader):
        packet = HandoffPacketFactory(submitted=True, ready=True, deal_name="Surprising deal")
        first, second = HandoffItemFactory(packet=packet), HandoffItemFactory(packet=packet)
        round_one = HandoffReviewFactory(packet=packet, round=1)
        round_two = HandoffReviewFactory(packet=packet, round=2)
        # The first item is a surprise in both rounds, the second in neither.
        HandoffVerdictFactory(review=round_one, item=first, surprise=True)
        HandoffVerdictFactory(review=round_two, item=first, surprise=True)
        HandoffVerdictFactory(review=round_one, item=second)
        HandoffVerdictFactory(review=round_two, item=second)

        page = client_for(leader).get(LIST_URL).content.decode()

        row = cells(row_with(section(page, "packets-title"), "Surprising deal"))
        # Deal, client, status, filed by, items (the ready deliverable + 2), surprises.
        assert row[4:6] == ["3", "1"]


class TestQueryCounts:
    FEW = 3
    MANY = 30

    @staticmethod
    def measure(browser, url) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    @staticmethod
    def add_packets(start: int, stop: int, *, filed_by, reviewer) -> None:
        """Packets in every state, each with items, a review round with verdicts, a
        reviewer, an existing client; accepted ones with their engagement."""
        statuses = [
            HandoffPacket.Status.SUBMITTED,
            HandoffPacket.Status.CHANGES_REQUESTED,
            HandoffPacket.Status.ACCEPTED,
            HandoffPacket.Status.DRAFT,
        ]
        for number in range(start, stop):
            status = statuses[number % len(statuses)]
            packet = HandoffPacketFactory(
                deal_name=f"row {number + 1:04d}",
                filed_by=filed_by,
                submitted=True,
                status=status,
                client=ClientFactory(),
                new_client_name="",
                assigned_reviewer=reviewer,
                engagement=(
                    EngagementFactory(sold_by=filed_by)
                    if status == HandoffPacket.Status.ACCEPTED
                    else None
                ),
            )
            item = HandoffItemFactory(packet=packet, kind=HandoffItem.Kind.CUSTOM_REQUIREMENT)
            review = HandoffReviewFactory(packet=packet, reviewer=reviewer, verdicts=True)
            review.verdicts.filter(item=item).update(
                verdict=Verdict.NEEDS_CUSTOM_WORK, note="Custom."
            )

    @pytest.mark.parametrize("role", [Role.LEADER, Role.SALES])
    def test_the_list_runs_as_many_queries_for_thirty_packets_as_for_three(
        self, client_for, make_user, leader, role, django_assert_max_num_queries
    ):
        viewer = make_user(role)
        filer = viewer if role == Role.SALES else make_user(Role.SALES)
        browser = client_for(viewer)
        # The settings row is created on first read; not a cost that grows with rows.
        OrganizationSettings.current()

        self.add_packets(0, self.FEW, filed_by=filer, reviewer=leader)
        with_few, page = self.measure(browser, LIST_URL)
        assert "row 0001" in page

        self.add_packets(self.FEW, self.MANY, filed_by=filer, reviewer=leader)
        with_many, page = self.measure(browser, LIST_URL)
        assert "row 0030" in page  # the newest, first on the first page
        if role == Role.LEADER:
            assert "row 0029" in section(page, "queue-title")  # the queue is not paginated

        assert with_many == with_few, (with_few, with_many)
        # Today: the host, the session, the user, the settings row, the count, the page
        # of packets and the queue; a little headroom, but not enough for a query per row.
        with django_assert_max_num_queries(12):
            browser.get(LIST_URL)

    def test_the_packet_page_runs_as_many_queries_for_many_rounds_as_for_few(
        self, client_for, leader, make_user, django_assert_max_num_queries
    ):
        packet = HandoffPacketFactory(submitted=True, deal_name="Busy deal")
        browser = client_for(leader)

        def add(start: int, stop: int) -> None:
            for number in range(start, stop):
                HandoffItemFactory(packet=packet, description=f"row {number + 1:04d}")
                HandoffStakeholderFactory(packet=packet)
                HandoffCommentFactory(packet=packet, author=make_user(Role.CONSULTANT))
                review = HandoffReviewFactory(
                    packet=packet, round=number + 1, reviewer=make_user(Role.LEADER)
                )
                for item in packet.items.all()[:3]:
                    HandoffVerdictFactory(review=review, item=item, surprise=True)
                packet.events.create(kind="submitted", round=number + 1, actor=make_user())
            HandoffPacket.objects.filter(pk=packet.pk).update(review_round=stop + 1)

        add(0, self.FEW)
        with_few, page = self.measure(browser, detail_url(packet))
        assert "Round 3:" in page

        add(self.FEW, self.MANY)
        with_many, page = self.measure(browser, detail_url(packet))
        assert "Round 30:" in page
        assert "row 0030" in page

        assert with_many == with_few, (with_few, with_many)
        with django_assert_max_num_queries(16):
            browser.get(detail_url(packet))


class TestComments:
    def test_an_htmx_comment_returns_the_comments_with_the_new_one(self, client_for, leader):
        packet = HandoffPacketFactory(submitted=True)
        HandoffCommentFactory(packet=packet, body="Is the sandbox ready?")

        response = client_for(leader).post(
            f"/handoffs/{packet.pk}/comments/",
            {"body": "  Who owns the WMS?  "},
            HTTP_HX_REQUEST="true",
        )

        html = response.content.decode()
        assert response.status_code == 200
        # A cache must never answer the page's URL with this partial.
        assert "HX-Request" in response["Vary"]
        assert html.lstrip().startswith('<section class="card" id="comments"')
        assert "<html" not in html
        assert html.index("Is the sandbox ready?") < html.index("Who owns the WMS?")
        comment = HandoffComment.objects.get(body="Who owns the WMS?")
        assert (comment.packet, comment.author) == (packet, leader)
        # The form comes back empty, ready for the next comment.
        assert '<textarea name="body" cols="40" rows="3"' in html
        assert "Who owns the WMS?</textarea>" not in html

    @pytest.mark.parametrize("body", ["", "   \n  "])
    def test_an_empty_comment_is_an_error_and_saves_nothing(self, client_for, sales, body):
        packet = HandoffPacketFactory(filed_by=sales)

        response = client_for(sales).post(
            f"/handoffs/{packet.pk}/comments/", {"body": body}, HTTP_HX_REQUEST="true"
        )

        # Invalid input answers 400 everywhere; the page's htmx config swaps it in.
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()
        assert "No comments yet." in response.content.decode()
        assert not HandoffComment.objects.exists()

    def test_without_htmx_the_page_reloads_at_the_comments(self, client_for, sales):
        packet = HandoffPacketFactory(filed_by=sales)
        browser = client_for(sales)

        response = browser.post(f"/handoffs/{packet.pk}/comments/", {"body": "Signed today."})

        assert response.status_code == 302
        assert response["Location"] == f"/handoffs/{packet.pk}/#comments"
        assert "Signed today." in browser.get(detail_url(packet)).content.decode()


def test_the_form_carries_an_empty_row_to_add_in_place(client_for, sales):
    page = client_for(sales).get("/handoffs/new/").content.decode()

    for prefix in ("stakeholders", "items"):
        formset = page.split(f'data-formset="{prefix}"', 1)[1].split("data-add-row", 1)[0]
        template = formset.split("<template data-empty-row>", 1)[1].split("</template>", 1)[0]
        assert f'name="{prefix}-__prefix__-' in template
        assert "__num__" in template
    assert "Add another item" in page and "Add another stakeholder" in page
    # Without JavaScript the page still says how to get more rows.
    assert page.count("Save to get more empty rows.") == 2
