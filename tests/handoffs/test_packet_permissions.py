"""Who may do what with a handoff packet, and that everyone else gets nothing.

Sales files, edits and submits its own packets; PS leaders review any packet and
assign reviewers; a consultant reviews only what is assigned to them; admins read.
A packet someone may not see is 404 (like one that does not exist), a page their role
may not use is 403, and another organization's packet id is 404 on this host.
"""

from dataclasses import dataclass

import pytest
from django.db import connection

from handoffs.models import HandoffComment, HandoffItem, HandoffPacket, HandoffReview
from psops.accounts.models import Role, User
from tests.handoffs.factories import HandoffItemFactory, HandoffPacketFactory
from tests.handoffs.pages import review_data

pytestmark = pytest.mark.django_db

GLOBEX_ONLY_ID = 987_654_321


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    path: str  # with {id}

    def url(self, packet_id: int) -> str:
        return self.path.format(id=packet_id)


def page_name(page: Page) -> str:
    return page.name


DETAIL = Page("detail", "get", "/handoffs/{id}/")
EDIT = Page("edit", "get", "/handoffs/{id}/edit/")
EDIT_POST = Page("edit (save)", "post", "/handoffs/{id}/edit/")
SUBMIT = Page("submit", "post", "/handoffs/{id}/submit/")
REVIEW = Page("review", "get", "/handoffs/{id}/review/")
REVIEW_POST = Page("review (decide)", "post", "/handoffs/{id}/review/")
COMMENT = Page("comment", "post", "/handoffs/{id}/comments/")
ASSIGN = Page("assign", "post", "/handoffs/{id}/assign/")
SOW = Page("sow", "get", "/handoffs/{id}/sow/")
EVERY_PACKET_PAGE = [DETAIL, EDIT, EDIT_POST, SUBMIT, REVIEW, REVIEW_POST, COMMENT, ASSIGN, SOW]


def edit_data(**fields) -> dict[str, str]:
    """A complete save of the packet form with one new deliverable, as posted by a browser."""
    return {
        "deal_name": "Taken over",
        "new_client_name": "Someone Else Inc",
        "currency": "USD",
        "engagement_kind": "implementation",
        "success_criteria": "Changed by someone who should not.",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-kind": HandoffItem.Kind.DELIVERABLE,
        "items-0-description": "Injected deliverable",
        "stakeholders-TOTAL_FORMS": "0",
        "stakeholders-INITIAL_FORMS": "0",
        "stakeholders-MIN_NUM_FORMS": "0",
        "stakeholders-MAX_NUM_FORMS": "1000",
        **fields,
    }


def request(browser, page: Page, packet: HandoffPacket, *, reviewer=None):
    """Ask for ``page`` of ``packet`` with data that would change it if allowed."""
    url = page.url(packet.pk)
    if page.method == "get":
        return browser.get(url)
    data = {
        EDIT_POST: lambda: edit_data(),
        SUBMIT: dict,
        REVIEW_POST: lambda: review_data(packet, decision="reject", comments="Not ours."),
        COMMENT: lambda: {"body": "Sneaky comment"},
        ASSIGN: lambda: {"reviewer": str(reviewer.pk) if reviewer else ""},
    }[page]()
    return browser.post(url, data)


def snapshot(packet: HandoffPacket) -> tuple:
    """What any of those requests would have changed."""
    packet.refresh_from_db()
    return (
        packet.deal_name,
        packet.status,
        packet.review_round,
        packet.assigned_reviewer_id,
        list(packet.items.values_list("description", flat=True)),
        packet.comments.count(),
        packet.reviews.count(),
    )


# Which role may use each page at all (anyone else gets 403 before the packet is looked up).
ROLE_FOR_PAGE = {
    DETAIL: Role.LEADER,
    EDIT: Role.SALES,
    EDIT_POST: Role.SALES,
    SUBMIT: Role.SALES,
    REVIEW: Role.LEADER,
    REVIEW_POST: Role.LEADER,
    COMMENT: Role.LEADER,
    ASSIGN: Role.LEADER,
    SOW: Role.LEADER,
}


class TestSalesOwnsItsPackets:
    @pytest.mark.parametrize(
        "page", [DETAIL, EDIT, EDIT_POST, SUBMIT, COMMENT, SOW], ids=lambda page: page.name
    )
    def test_another_reps_packet_is_404_and_unchanged(self, client_for, sales, make_user, page):
        theirs = HandoffPacketFactory(filed_by=make_user(Role.SALES), ready=True)
        before = snapshot(theirs)

        response = request(client_for(sales), page, theirs)

        assert response.status_code == 404
        assert snapshot(theirs) == before

    def test_another_reps_packet_is_not_in_my_list(self, client_for, sales, make_user):
        HandoffPacketFactory(filed_by=make_user(Role.SALES), deal_name="Their secret deal")

        assert "Their secret deal" not in client_for(sales).get("/handoffs/").content.decode()

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.ADMIN])
    def test_only_sales_files_edits_and_submits(self, client_for, make_user, sales, role):
        draft = HandoffPacketFactory(filed_by=sales, ready=True)
        browser = client_for(make_user(role))
        before = snapshot(draft)

        assert browser.get("/handoffs/new/").status_code == 403
        assert browser.post("/handoffs/new/", edit_data()).status_code == 403
        for page in (EDIT, EDIT_POST, SUBMIT):
            assert request(browser, page, draft).status_code == 403, page
        assert snapshot(draft) == before
        assert HandoffPacket.objects.count() == 1

    @pytest.mark.parametrize(
        "status",
        [
            HandoffPacket.Status.SUBMITTED,
            HandoffPacket.Status.ACCEPTED,
            HandoffPacket.Status.REJECTED,
        ],
    )
    def test_a_packet_cannot_be_edited_once_submitted(self, client_for, sales, status):
        packet = HandoffPacketFactory(filed_by=sales, submitted=True, status=status)
        browser = client_for(sales)
        before = snapshot(packet)

        page = browser.get(f"/handoffs/{packet.pk}/edit/", follow=True)
        posted = browser.post(f"/handoffs/{packet.pk}/edit/", edit_data(), follow=True)

        label = HandoffPacket.Status(status).label.lower()
        for response in (page, posted):
            assert response.redirect_chain == [(f"/handoffs/{packet.pk}/", 302)]
            assert f"This packet is {label} and cannot be edited now." in (
                response.content.decode()
            )
        assert snapshot(packet) == before

    def test_a_submitted_packet_cannot_be_submitted_again(self, client_for, sales, mailoutbox):
        packet = HandoffPacketFactory(filed_by=sales, submitted=True)
        before = snapshot(packet)

        response = client_for(sales).post(f"/handoffs/{packet.pk}/submit/", follow=True)

        assert "This packet is submitted." in response.content.decode()
        assert snapshot(packet) == before
        assert mailoutbox == []

    def test_sales_can_edit_a_packet_sent_back_for_changes(self, client_for, sales):
        packet = HandoffPacketFactory(
            filed_by=sales, submitted=True, status=HandoffPacket.Status.CHANGES_REQUESTED
        )

        response = client_for(sales).post(
            f"/handoffs/{packet.pk}/edit/", edit_data(new_client_name="Hooli")
        )

        assert response.status_code == 302
        packet.refresh_from_db()
        assert packet.deal_name == "Taken over"
        assert "Injected deliverable" in packet.items.values_list("description", flat=True)


class TestReviewing:
    @pytest.fixture
    def packet(self):
        packet = HandoffPacketFactory(submitted=True, deal_name="Waiting deal")
        HandoffItemFactory(packet=packet)
        return packet

    @pytest.mark.parametrize(
        "page", [DETAIL, REVIEW, REVIEW_POST, COMMENT, SOW], ids=lambda page: page.name
    )
    def test_a_consultant_gets_404_for_a_packet_not_assigned_to_them(
        self, client_for, consultant, packet, page
    ):
        before = snapshot(packet)

        response = request(client_for(consultant), page, packet)

        assert response.status_code == 404
        assert snapshot(packet) == before

    def test_the_assigned_consultant_sees_and_reviews_the_packet(
        self, client_for, consultant, packet
    ):
        packet.assigned_reviewer = consultant
        packet.save()
        browser = client_for(consultant)

        detail = browser.get(f"/handoffs/{packet.pk}/").content.decode()
        listing = browser.get("/handoffs/").content.decode()
        decided = request(browser, REVIEW_POST, packet)

        assert f'href="/handoffs/{packet.pk}/review/"' in detail
        assert "Waiting deal" in listing
        assert decided.status_code == 302
        assert HandoffReview.objects.get().reviewer == consultant

    def test_any_leader_reviews_any_packet(self, client_for, make_user, packet):
        browser = client_for(make_user(Role.LEADER))

        assert browser.get(f"/handoffs/{packet.pk}/review/").status_code == 200
        assert request(browser, REVIEW_POST, packet).status_code == 302
        packet.refresh_from_db()
        assert packet.status == HandoffPacket.Status.REJECTED

    def test_sales_reads_its_packet_but_cannot_review_it(self, client_for, sales, packet):
        packet.filed_by = sales
        packet.save()
        browser = client_for(sales)
        before = snapshot(packet)

        detail = browser.get(f"/handoffs/{packet.pk}/")
        assert detail.status_code == 200  # they may read it...
        assert f"/handoffs/{packet.pk}/review/" not in detail.content.decode()
        for page in (REVIEW, REVIEW_POST):
            assert request(browser, page, packet).status_code == 403  # ...not decide it
        assert snapshot(packet) == before

    def test_admins_neither_read_nor_review_packets(self, client_for, admin_user, packet):
        browser = client_for(admin_user)
        before = snapshot(packet)

        for url in (
            "/handoffs/",
            f"/handoffs/{packet.pk}/",
            f"/handoffs/{packet.pk}/sow/",
        ):
            assert browser.get(url).status_code == 403, url
        for page in (REVIEW, REVIEW_POST):
            assert request(browser, page, packet).status_code == 403
        assert browser.post(f"/handoffs/{packet.pk}/comments/", {"body": "x"}).status_code == 403
        assert snapshot(packet) == before
        assert not packet.comments.exists()


class TestAssigningReviewers:
    @pytest.fixture
    def packet(self):
        return HandoffPacketFactory(submitted=True)

    def test_a_leader_assigns_a_consultant(self, client_for, leader, consultant, packet):
        browser = client_for(leader)

        assert f'action="/handoffs/{packet.pk}/assign/"' in (
            browser.get(f"/handoffs/{packet.pk}/").content.decode()
        )
        response = request(browser, ASSIGN, packet, reviewer=consultant)

        assert response.status_code == 302
        packet.refresh_from_db()
        assert packet.assigned_reviewer == consultant
        assert "Reviewer assigned." in browser.get(response["Location"]).content.decode()

    def test_a_leader_can_take_the_assignment_back(self, client_for, leader, consultant, packet):
        packet.assigned_reviewer = consultant
        packet.save()

        request(client_for(leader), ASSIGN, packet, reviewer=None)

        packet.refresh_from_db()
        assert packet.assigned_reviewer is None
        assert client_for(consultant).get(f"/handoffs/{packet.pk}/").status_code == 404

    def test_a_sales_rep_cannot_be_made_reviewer(self, client_for, leader, make_user, packet):
        request(client_for(leader), ASSIGN, packet, reviewer=make_user(Role.SALES))

        packet.refresh_from_db()
        assert packet.assigned_reviewer is None

    @pytest.mark.parametrize("role", [Role.CONSULTANT, Role.SALES, Role.ADMIN])
    def test_only_leaders_assign(self, client_for, make_user, consultant, packet, role):
        user = make_user(role)
        if role == Role.CONSULTANT:
            packet.assigned_reviewer = user  # even the assigned consultant cannot pass it on
        elif role == Role.SALES:
            packet.filed_by = user
        packet.save()
        before = snapshot(packet)

        response = request(client_for(user), ASSIGN, packet, reviewer=consultant)

        assert response.status_code == 403
        assert snapshot(packet) == before


class TestAnonymousVisitors:
    @pytest.mark.parametrize("page", EVERY_PACKET_PAGE, ids=page_name)
    def test_are_sent_to_sign_in(self, anonymous_client, page):
        packet = HandoffPacketFactory(submitted=True)
        before = snapshot(packet)

        response = request(anonymous_client, page, packet)

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        assert snapshot(packet) == before

    def test_the_list_and_the_new_packet_form_too(self, anonymous_client):
        for url in ("/handoffs/", "/handoffs/new/"):
            assert anonymous_client.get(url)["Location"].startswith("/accounts/login/")


class TestAnotherOrganization:
    @pytest.fixture
    def globex_packet(self, tenant, other_tenant):
        """A submitted globex packet, with an id acme does not have."""
        assert not HandoffPacket.objects.filter(pk=GLOBEX_ONLY_ID).exists()
        connection.set_tenant(other_tenant)
        try:
            rep = User.objects.create(email="rep@globex.test", role=Role.SALES)
            packet = HandoffPacketFactory(
                pk=GLOBEX_ONLY_ID, filed_by=rep, submitted=True, deal_name="Globex deal"
            )
            HandoffItemFactory(packet=packet)
            before = snapshot(packet)
        finally:
            connection.set_tenant(tenant)
        return packet, before

    @pytest.mark.parametrize("page", EVERY_PACKET_PAGE, ids=page_name)
    def test_its_packet_ids_are_404_here_and_nothing_changes_there(
        self, tenant, other_tenant, client_for, make_user, globex_packet, page
    ):
        packet, before = globex_packet
        acme_user = make_user(ROLE_FOR_PAGE[page])

        response = request(client_for(acme_user), page, packet, reviewer=acme_user)

        assert response.status_code == 404
        assert b"Globex deal" not in response.content
        connection.set_tenant(other_tenant)
        try:
            assert snapshot(packet) == before
            assert not HandoffComment.objects.exists()
        finally:
            connection.set_tenant(tenant)

    def test_its_packets_are_not_in_our_list(self, client_for, leader, globex_packet):
        page = client_for(leader).get("/handoffs/").content.decode()

        assert "Globex deal" not in page
        assert "Nothing waiting for review." in page
