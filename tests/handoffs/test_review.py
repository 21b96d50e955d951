"""Reviewing a submitted packet: verdicts, the checklist, and each decision's outcome.

A refused review changes nothing (no review row, no email, the packet still waiting);
an acceptance creates the client, the engagement, its stakeholders and follow-ups in
one transaction, so a failure half-way leaves nothing behind.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from engagements import services as engagement_services
from engagements.models import Activity, Client, Engagement, FollowUp, Stakeholder
from handoffs import selectors, services
from handoffs.models import (
    HandoffEvent,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffVerdict,
    Verdict,
)
from psops.accounts.models import Role
from tests.engagements.factories import ClientFactory, StakeholderFactory
from tests.handoffs.factories import (
    HandoffItemFactory,
    HandoffPacketFactory,
    HandoffStakeholderFactory,
)
from tests.handoffs.pages import FULL_MARKS, review_data

pytestmark = pytest.mark.django_db

Decision = HandoffReview.Decision


def review_url(packet) -> str:
    return f"/handoffs/{packet.pk}/review/"


@pytest.fixture
def packet(sales):
    """Submitted for review: a deliverable, a custom requirement and a sponsor."""
    packet = HandoffPacketFactory(
        filed_by=sales,
        submitted=True,
        ready=True,
        deal_name="Hooli rollout",
        new_client_name="Hooli",
    )
    HandoffItemFactory(
        packet=packet, kind=HandoffItem.Kind.CUSTOM_REQUIREMENT, description="SSO with their IdP"
    )
    return packet


@pytest.fixture
def post_review(django_capture_on_commit_callbacks, mailoutbox):
    """POST the review form; return the response and the emails sent after commit."""

    def post(browser, packet, data):
        sent_before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(review_url(packet), data)
        return response, mailoutbox[sent_before:]

    return post


def assert_nothing_decided(packet, *, clients_before: int) -> None:
    """The packet is still waiting, and no trace of a decision exists anywhere."""
    packet.refresh_from_db()
    assert packet.status == HandoffPacket.Status.SUBMITTED
    assert (packet.client, packet.engagement, packet.decided_at) == (None, None, None)
    assert not HandoffReview.objects.exists()
    assert not HandoffVerdict.objects.exists()
    assert not packet.events.exclude(kind=HandoffEvent.Kind.CREATED).exists()
    assert Client.objects.count() == clients_before
    assert not Engagement.objects.exists()
    assert not Stakeholder.objects.exists()
    assert not FollowUp.objects.exists()
    assert not Activity.objects.exists()


def test_the_review_page_shows_what_the_client_wants_beside_the_items(client_for, leader, packet):
    page = client_for(leader).get(review_url(packet)).content.decode()

    side = page.split('aria-label="What was sold"', 1)[1]
    assert packet.goals in side
    assert packet.success_criteria in side
    assert "None attached." in side  # no SOW on this packet


class TestRefusedReviews:
    @pytest.mark.parametrize(
        ("decision", "complaint"),
        [
            (Decision.REJECT, "Say why."),
            (Decision.REQUEST_CHANGES, "Say what sales should change."),
        ],
    )
    def test_sending_a_packet_back_needs_a_reason(
        self, client_for, leader, packet, post_review, decision, complaint
    ):
        response, mail = post_review(
            client_for(leader), packet, review_data(packet, decision=decision, comments="  ")
        )

        assert response.status_code == 400
        assert response.context["form"].errors["comments"] == [complaint]
        assert complaint in response.content.decode()
        assert mail == []
        assert_nothing_decided(packet, clients_before=0)

    @pytest.mark.parametrize(
        "verdict", [Verdict.NEEDS_CUSTOM_WORK, Verdict.NOT_POSSIBLE, Verdict.UNCLEAR]
    )
    def test_a_surprise_without_a_note_is_a_field_error(
        self, client_for, leader, packet, post_review, verdict
    ):
        sso = packet.items.get(kind=HandoffItem.Kind.CUSTOM_REQUIREMENT)
        data = review_data(
            packet, decision=Decision.ACCEPT, lead=leader, verdicts={sso: (verdict, "   ")}
        )

        response, mail = post_review(client_for(leader), packet, data)

        assert response.status_code == 400
        assert response.context["form"].errors == {f"note_{sso.pk}": ["Explain the surprise."]}
        assert "Explain the surprise." in response.content.decode()
        assert mail == []
        assert_nothing_decided(packet, clients_before=0)

    def test_every_item_needs_a_verdict(self, client_for, leader, packet, post_review):
        sso = packet.items.get(kind=HandoffItem.Kind.CUSTOM_REQUIREMENT)
        data = review_data(packet, decision=Decision.ACCEPT, lead=leader)
        del data[f"verdict_{sso.pk}"]

        response, _ = post_review(client_for(leader), packet, data)

        assert response.status_code == 400
        assert response.context["form"].errors == {f"verdict_{sso.pk}": ["This field is required."]}
        assert_nothing_decided(packet, clients_before=0)

    def test_accepting_needs_a_lead(self, client_for, leader, packet, post_review):
        response, mail = post_review(
            client_for(leader), packet, review_data(packet, decision=Decision.ACCEPT)
        )

        assert response.status_code == 400
        assert response.context["form"].errors == {"lead": ["Choose who leads the engagement."]}
        assert mail == []
        assert_nothing_decided(packet, clients_before=0)

    def test_a_sales_rep_cannot_lead_the_engagement(
        self, client_for, leader, sales, packet, post_review
    ):
        data = review_data(packet, decision=Decision.ACCEPT, lead=sales)

        response, _ = post_review(client_for(leader), packet, data)

        assert response.status_code == 400
        assert "lead" in response.context["form"].errors
        assert_nothing_decided(packet, clients_before=0)

    @pytest.mark.parametrize(
        "status",
        [HandoffPacket.Status.DRAFT, HandoffPacket.Status.ACCEPTED, HandoffPacket.Status.REJECTED],
    )
    def test_only_a_waiting_packet_can_be_reviewed(self, client_for, leader, packet, status):
        HandoffPacket.objects.filter(pk=packet.pk).update(status=status)
        browser = client_for(leader)

        page = browser.get(review_url(packet), follow=True)
        posted = browser.post(
            review_url(packet), review_data(packet, decision=Decision.REJECT, comments="No.")
        )

        assert page.redirect_chain == [(f"/handoffs/{packet.pk}/", 302)]
        assert "This packet is not waiting for a review." in page.content.decode()
        assert posted.status_code == 302
        assert not HandoffReview.objects.exists()
        packet.refresh_from_db()
        assert (packet.status, packet.rejection_reason) == (status, "")

    def test_a_decision_made_meanwhile_by_someone_else_is_a_form_error(
        self, client_for, leader, make_user, packet, post_review, monkeypatch
    ):
        """Two leaders review at once: the second one learns it, nothing is recorded twice."""
        other_leader = make_user(Role.LEADER)
        read_packet = selectors.packet_get

        def read_then_the_other_leader_rejects(**kwargs):
            stale = read_packet(**kwargs)
            services.packet_review(
                packet=stale,
                by=other_leader,
                review=services.ReviewInput(
                    decision=Decision.REJECT,
                    scores=FULL_MARKS,
                    verdicts={item.pk: (Verdict.IN_SCOPE, "") for item in stale.items.all()},
                    comments="No budget after all.",
                ),
                base_url="http://acme.localhost",
            )
            return stale

        monkeypatch.setattr(selectors, "packet_get", read_then_the_other_leader_rejects)

        response, _ = post_review(
            client_for(leader), packet, review_data(packet, decision=Decision.ACCEPT, lead=leader)
        )

        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [
            "Only a submitted packet can be reviewed."
        ]
        packet.refresh_from_db()
        assert packet.status == HandoffPacket.Status.REJECTED
        assert list(HandoffReview.objects.values_list("reviewer", "decision")) == [
            (other_leader.pk, Decision.REJECT)
        ]
        assert not Engagement.objects.exists()


class TestDecisions:
    def test_rejecting_with_a_reason_tells_sales_and_creates_nothing(
        self, client_for, leader, sales, packet, post_review
    ):
        response, mail = post_review(
            client_for(leader),
            packet,
            review_data(
                packet,
                decision=Decision.REJECT,
                comments="We do not deliver SSO for this product.",
                scores={"scope_clear": 0, "custom_work_priced": 0},
            ),
        )

        assert response.status_code == 302
        packet.refresh_from_db()
        assert packet.status == HandoffPacket.Status.REJECTED
        assert packet.rejection_reason == "We do not deliver SSO for this product."
        assert packet.decided_at is not None
        assert packet.engagement is None
        assert not Engagement.objects.exists()
        assert not Client.objects.filter(name="Hooli").exists()
        assert [(m.to, m.subject) for m in mail] == [
            ([sales.email], 'Your handoff "Hooli rollout": rejected')
        ]
        assert "Readiness: 8/12" in mail[0].body
        page = client_for(sales).get(f"/handoffs/{packet.pk}/").content.decode()
        assert "Round 1: Reject" in page
        assert "Rejected (round 1): We do not deliver SSO for this product." in page
        # A rejected packet is closed: no edit, no resubmission.
        assert "Resubmit" not in page
        assert f"/handoffs/{packet.pk}/edit/" not in page

    def test_accepting_reuses_an_existing_client_and_its_contacts(
        self, client_for, leader, consultant, sales, post_review
    ):
        initech = ClientFactory(name="Initech")
        known = StakeholderFactory(client=initech, name="Bill Lumbergh", title="VP", email="")
        packet = HandoffPacketFactory(
            filed_by=sales,
            submitted=True,
            client=initech,
            new_client_name="",
            requested_start=None,
        )
        HandoffItemFactory(packet=packet)
        HandoffStakeholderFactory(
            packet=packet,
            name="bill lumbergh",
            title="Division VP",
            email="bill@initech.test",
            role=Stakeholder.Role.SPONSOR,
        )
        clients_before = Client.objects.count()

        response, _ = post_review(
            client_for(leader),
            packet,
            review_data(packet, decision=Decision.ACCEPT, lead=consultant),
        )

        assert response.status_code == 302
        packet.refresh_from_db()
        engagement = packet.engagement
        assert Client.objects.count() == clients_before
        assert engagement.client == initech
        # No requested start: the engagement is planned from today.
        assert engagement.start_date == timezone.localdate()
        # The contact is the one the client had, now the sponsor, keeping its own title.
        assert list(initech.stakeholders.all()) == [known]
        known.refresh_from_db()
        assert (known.role, known.title, known.email) == (
            Stakeholder.Role.SPONSOR,
            "VP",
            "bill@initech.test",
        )
        assert list(known.engagements.all()) == [engagement]
        # In scope throughout: only the kickoff call.
        assert [f.title for f in engagement.followups.all()] == [
            f"Kickoff call: {packet.deal_name}"
        ]
        assert engagement.followups.get().due_on == timezone.localdate() + datetime.timedelta(
            days=services.KICKOFF_DAYS
        )

    def test_a_deal_with_the_longest_allowed_name_can_be_accepted(
        self, client_for, leader, consultant, packet, post_review
    ):
        long_name = "Hooli " + "x" * 194
        HandoffPacket.objects.filter(pk=packet.pk).update(deal_name=long_name)

        response, _ = post_review(
            client_for(leader),
            packet,
            review_data(packet, decision=Decision.ACCEPT, lead=consultant),
        )

        assert response.status_code == 302, response.context["form"].errors
        packet.refresh_from_db()
        assert packet.engagement.name == long_name
        kickoff = packet.engagement.followups.get()
        assert kickoff.title.startswith("Kickoff call: Hooli xxx")

    def test_the_assigned_consultant_can_accept_and_lead(
        self, client_for, consultant, packet, post_review
    ):
        packet.assigned_reviewer = consultant
        packet.save()
        browser = client_for(consultant)

        form = browser.get(review_url(packet))
        response, _ = post_review(
            browser, packet, review_data(packet, decision=Decision.ACCEPT, lead=consultant)
        )

        # The review form proposes the assigned reviewer as the lead.
        assert form.context["form"]["lead"].value() == consultant.pk
        assert response.status_code == 302
        packet.refresh_from_db()
        assert packet.engagement.lead == consultant
        assert HandoffReview.objects.get().reviewer == consultant


class TestAtomicAcceptance:
    @pytest.fixture
    def failing_custom_work_followup(self, monkeypatch):
        """The kickoff follow-up is created; the custom-work one fails."""
        real_create = engagement_services.followup_create

        def create(**fields):
            if fields["title"].startswith("Scope and price custom work"):
                raise ValidationError({"title": "Follow-ups are read-only during maintenance."})
            return real_create(**fields)

        monkeypatch.setattr(engagement_services, "followup_create", create)

    def data(self, packet, lead):
        sso = packet.items.get(kind=HandoffItem.Kind.CUSTOM_REQUIREMENT)
        return review_data(
            packet,
            decision=Decision.ACCEPT,
            lead=lead,
            verdicts={sso: (Verdict.NEEDS_CUSTOM_WORK, "Three days of work.")},
        )

    def test_a_failure_half_way_through_the_page_leaves_nothing_behind(
        self, client_for, leader, packet, post_review, failing_custom_work_followup
    ):
        clients_before = Client.objects.count()

        response, mail = post_review(client_for(leader), packet, self.data(packet, leader))

        assert response.status_code == 400
        assert "Follow-ups are read-only during maintenance." in response.content.decode()
        assert mail == []
        assert_nothing_decided(packet, clients_before=clients_before)

    def test_a_failure_half_way_through_the_service_leaves_nothing_behind(
        self, leader, packet, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
    ):
        real_create = engagement_services.followup_create
        created = []

        def create(**fields):
            if fields["title"].startswith("Scope and price custom work"):
                raise RuntimeError("the database went away")
            created.append(real_create(**fields))
            return created[-1]

        monkeypatch.setattr(engagement_services, "followup_create", create)
        deliverable, sso = packet.items.order_by("id")

        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            services.packet_review(
                packet=packet,
                by=leader,
                review=services.ReviewInput(
                    decision=Decision.ACCEPT,
                    scores=FULL_MARKS,
                    verdicts={
                        deliverable.pk: (Verdict.IN_SCOPE, ""),
                        sso.pk: (Verdict.NEEDS_CUSTOM_WORK, "Three days of work."),
                    },
                    lead=leader,
                ),
                base_url="http://acme.localhost",
            )

        # It got as far as the kickoff call before failing, and that is gone too.
        assert [f.title for f in created] == ["Kickoff call: Hooli rollout"]
        assert mailoutbox == []
        assert_nothing_decided(packet, clients_before=0)


class TestReviewService:
    def test_an_unassigned_consultant_cannot_review(self, consultant, packet):
        with pytest.raises(ValidationError, match="Only a PS leader or the assigned consultant"):
            services.packet_review(
                packet=packet,
                by=consultant,
                review=services.ReviewInput(
                    decision=Decision.REJECT, scores=FULL_MARKS, verdicts={}, comments="No."
                ),
                base_url="http://acme.localhost",
            )
        assert not HandoffReview.objects.exists()

    def test_every_problem_is_listed_at_once(self, leader, packet):
        deliverable, sso = packet.items.order_by("id")

        with pytest.raises(ValidationError) as refused:
            services.packet_review(
                packet=packet,
                by=leader,
                review=services.ReviewInput(
                    decision=Decision.ACCEPT,
                    scores=FULL_MARKS | {"discovery_done": 3},
                    verdicts={deliverable.pk: (Verdict.UNCLEAR, "")},
                ),
                base_url="http://acme.localhost",
            )

        assert set(refused.value.message_dict) == {
            f"note_{deliverable.pk}",
            f"verdict_{sso.pk}",
            "discovery_done",
            "lead",
        }
        assert not HandoffReview.objects.exists()
