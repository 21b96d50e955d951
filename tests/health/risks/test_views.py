"""/risks/, acknowledging a risk, and risks on the leader dashboard and the engagement page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from health.models import Risk
from psops.accounts.models import Role
from tests.engagements.factories import EngagementFactory
from tests.health.factories import make_risk

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(client, path="/risks/", **headers) -> str:
    response = client.get(path, **headers)
    assert response.status_code == 200
    return response.content.decode()


class TestRiskList:
    def test_a_leader_sees_shared_risks_most_severe_first(self, client_for, leader):
        make_risk(title="Minor drift", severity=Risk.Severity.LOW)
        make_risk(title="Capacity wall in May", severity=Risk.Severity.CRITICAL)
        make_risk(title="Gone quiet", severity=Risk.Severity.HIGH)

        html = page(client_for(leader))

        assert html.index("Capacity wall in May") < html.index("Gone quiet")
        assert html.index("Gone quiet") < html.index("Minor drift")
        assert "3 risks" in html

    def test_filters_by_kind_severity_and_status(self, client_for, leader):
        make_risk(title="Stale high open", severity=Risk.Severity.HIGH)
        make_risk(title="Scaling high open", kind=Risk.Kind.SCALING, severity=Risk.Severity.HIGH)
        make_risk(title="Stale low open", severity=Risk.Severity.LOW)
        make_risk(
            title="Stale high resolved",
            severity=Risk.Severity.HIGH,
            status=Risk.Status.RESOLVED,
        )
        client = client_for(leader)

        html = page(client, "/risks/?kind=stale_engagement&severity=high&status=open")

        assert "Stale high open" in html
        for hidden in ("Scaling high open", "Stale low open", "Stale high resolved"):
            assert hidden not in html
        assert '<option value="high" selected>' in html

    def test_the_htmx_filter_returns_only_the_results(self, client_for, leader):
        make_risk(title="Scaling one", kind=Risk.Kind.SCALING)
        make_risk(title="Stale one")

        html = page(
            client_for(leader), "/risks/?kind=scaling", HTTP_HX_TARGET="risk-results", **HTMX
        )

        assert html.lstrip().startswith('<section id="risk-results"')
        assert "Scaling one" in html
        assert "Stale one" not in html
        assert "<html" not in html

    def test_an_unknown_filter_value_is_ignored(self, client_for, leader):
        make_risk(title="Still listed")

        assert "Still listed" in page(client_for(leader), "/risks/?kind=bogus&severity=x")

    def test_the_list_is_paginated(self, client_for, leader):
        for index in range(27):
            make_risk(title=f"Risk number {index:02d}")
        client = client_for(leader)

        first = page(client)
        second = page(client, "/risks/?page=2")

        assert "Page 1 of 2" in first
        assert first.count('class="risk-row"') == 25
        assert second.count('class="risk-row"') == 2

    def test_sales_gets_403(self, client_for, sales):
        assert client_for(sales).get("/risks/").status_code == 403

    def test_anonymous_is_sent_to_sign_in(self, anonymous_client):
        response = anonymous_client.get("/risks/")
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_an_admin_sees_them_too(self, client_for, admin_user):
        make_risk(title="Seen by admins")
        assert "Seen by admins" in page(client_for(admin_user))

    def test_a_consultant_sees_only_risks_of_their_engagements(
        self, client_for, consultant, leader
    ):
        led = EngagementFactory(lead=consultant)
        on_team = EngagementFactory(lead=leader, team=[consultant])
        elsewhere = EngagementFactory(lead=leader)
        make_risk(title="Risk on my lead", engagement=led)
        make_risk(title="Risk on my team", engagement=on_team)
        make_risk(title="Risk elsewhere", engagement=elsewhere)
        make_risk(title="Risk on no engagement")

        html = page(client_for(consultant))

        assert "Risk on my lead" in html
        assert "Risk on my team" in html
        assert "Risk elsewhere" not in html
        assert "Risk on no engagement" not in html

    def test_a_consultant_on_lead_and_team_sees_the_risk_once(self, client_for, consultant):
        engagement = EngagementFactory(lead=consultant, team=[consultant])
        make_risk(title="Listed once", engagement=engagement)

        html = page(client_for(consultant))

        assert "Listed once" in html
        assert html.count('class="risk-row"') == 1

    def test_a_private_risk_is_listed_only_for_its_owner(
        self, client_for, leader, consultant, admin_user, make_user
    ):
        engagement = EngagementFactory(lead=consultant)
        make_risk(
            title="Consultant is overloaded",
            kind=Risk.Kind.OVERLOAD,
            private_to=consultant,
            engagement=engagement,
        )
        other_leader = make_user(Role.LEADER)
        make_risk(title="Leader is overloaded", kind=Risk.Kind.OVERLOAD, private_to=other_leader)

        mine = page(client_for(consultant))
        assert "Consultant is overloaded" in mine
        assert "only you see this" in mine
        assert "Leader is overloaded" not in mine
        for viewer in (leader, admin_user):
            html = page(client_for(viewer))
            assert "Consultant is overloaded" not in html
            assert "Leader is overloaded" not in html
        assert "Leader is overloaded" in page(client_for(other_leader))

    def test_another_tenant_sees_none_of_them(self, client_for, other_tenant, tenant):
        make_risk(title="Acme only")
        connection.set_tenant(other_tenant)
        from tests.factories import UserFactory

        outsider = UserFactory(role=Role.LEADER)
        connection.set_tenant(tenant)

        html = page(client_for(outsider, organization=other_tenant))

        assert "Acme only" not in html

    def test_the_query_count_does_not_grow_with_rows(self, client_for, leader, consultant):
        def build(n):
            for index in range(n):
                engagement = EngagementFactory(lead=consultant, team=[leader])
                make_risk(
                    engagement=engagement,
                    severity=Risk.Severity.HIGH if index % 2 else Risk.Severity.LOW,
                    status=Risk.Status.ACKNOWLEDGED,
                    acknowledged_by=consultant,
                    acknowledgement_note="On it",
                )

        def count(client) -> int:
            with CaptureQueriesContext(connection) as captured:
                page(client)
            return len(captured)

        client = client_for(leader)
        page(client)
        build(2)
        few = count(client)
        build(20)
        many = count(client)

        assert many == few


class TestAcknowledge:
    def test_acknowledge_with_a_note_returns_the_row(self, client_for, leader):
        risk = make_risk(title="Gone quiet")

        response = client_for(leader).post(
            f"/risks/{risk.pk}/acknowledge/", {"note": "Calling the client Monday"}, **HTMX
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert html.lstrip().startswith(f'<tr id="risk-{risk.pk}"')
        assert "Acknowledged" in html
        assert "Calling the client Monday" in html
        risk.refresh_from_db()
        assert risk.status == Risk.Status.ACKNOWLEDGED
        assert risk.acknowledged_by == leader
        assert risk.acknowledged_at is not None
        assert risk.acknowledgement_note == "Calling the client Monday"

    def test_a_note_is_required(self, client_for, leader):
        risk = make_risk()

        response = client_for(leader).post(
            f"/risks/{risk.pk}/acknowledge/", {"note": "   "}, **HTMX
        )

        assert response.status_code == 400
        assert "This field is required" in response.content.decode()
        risk.refresh_from_db()
        assert risk.status == Risk.Status.OPEN
        assert risk.acknowledged_by is None

    def test_a_resolved_risk_cannot_be_acknowledged(self, client_for, leader):
        risk = make_risk(status=Risk.Status.RESOLVED)

        response = client_for(leader).post(
            f"/risks/{risk.pk}/acknowledge/", {"note": "Too late"}, **HTMX
        )

        assert response.status_code == 400
        risk.refresh_from_db()
        assert risk.status == Risk.Status.RESOLVED

    def test_without_htmx_it_redirects_to_the_list(self, client_for, leader):
        risk = make_risk()

        response = client_for(leader).post(f"/risks/{risk.pk}/acknowledge/", {"note": "Seen"})

        assert response.status_code == 302
        assert response["Location"] == "/risks/"
        risk.refresh_from_db()
        assert risk.status == Risk.Status.ACKNOWLEDGED

    def test_without_htmx_a_missing_note_is_reported_on_the_list(self, client_for, leader):
        risk = make_risk()
        client = client_for(leader)

        response = client.post(f"/risks/{risk.pk}/acknowledge/", {"note": ""}, follow=True)

        assert "This field is required" in response.content.decode()
        risk.refresh_from_db()
        assert risk.status == Risk.Status.OPEN

    def test_someone_elses_private_risk_is_not_found(self, client_for, leader, consultant):
        risk = make_risk(kind=Risk.Kind.OVERLOAD, private_to=consultant)

        response = client_for(leader).post(f"/risks/{risk.pk}/acknowledge/", {"note": "x"})

        assert response.status_code == 404
        risk.refresh_from_db()
        assert risk.status == Risk.Status.OPEN

    def test_a_consultant_cannot_acknowledge_outside_their_engagements(
        self, client_for, consultant, leader
    ):
        risk = make_risk(engagement=EngagementFactory(lead=leader))

        response = client_for(consultant).post(f"/risks/{risk.pk}/acknowledge/", {"note": "x"})

        assert response.status_code == 404

    def test_sales_gets_403(self, client_for, sales):
        risk = make_risk()
        assert (
            client_for(sales).post(f"/risks/{risk.pk}/acknowledge/", {"note": "x"}).status_code
            == 403
        )

    def test_another_tenant_gets_404(self, client_for, other_tenant, tenant):
        risk = make_risk()
        connection.set_tenant(other_tenant)
        from tests.factories import UserFactory

        outsider = UserFactory(role=Role.LEADER)
        connection.set_tenant(tenant)

        response = client_for(outsider, organization=other_tenant).post(
            f"/risks/{risk.pk}/acknowledge/", {"note": "x"}
        )

        assert response.status_code == 404
        risk.refresh_from_db()
        assert risk.status == Risk.Status.OPEN

    def test_get_is_not_allowed(self, client_for, leader):
        risk = make_risk()
        assert client_for(leader).get(f"/risks/{risk.pk}/acknowledge/").status_code == 405


class TestLeaderDashboard:
    def test_open_shared_risks_show_most_severe_first_with_a_count(
        self, client_for, leader, consultant
    ):
        make_risk(title="Low one", severity=Risk.Severity.LOW)
        make_risk(title="Critical one", severity=Risk.Severity.CRITICAL)
        make_risk(title="Acknowledged one", status=Risk.Status.ACKNOWLEDGED)
        make_risk(title="Resolved one", status=Risk.Status.RESOLVED)
        make_risk(title="Private overload", kind=Risk.Kind.OVERLOAD, private_to=leader)

        html = page(client_for(leader), "/")

        assert 'Open risks <span class="muted">(3)</span>' in html
        assert html.index("Critical one") < html.index("Low one")
        assert "Acknowledged one" in html
        assert "Resolved one" not in html
        # Not even its owner sees a private risk on a shared page.
        assert "Private overload" not in html
        assert 'href="/risks/"' in html
        assert "No open risks" not in html

    def test_an_open_risk_can_be_acknowledged_in_place(self, client_for, leader):
        open_risk = make_risk(title="Gone quiet")
        acknowledged = make_risk(title="Already seen", status=Risk.Status.ACKNOWLEDGED)

        html = page(client_for(leader), "/")

        # The form posts to the row's own endpoint and swaps just that row.
        assert f'hx-post="/risks/{open_risk.pk}/acknowledge/"' in html
        assert f'hx-target="#risk-{open_risk.pk}"' in html
        assert f"/risks/{acknowledged.pk}/acknowledge/" not in html
        assert "Acknowledgement note for Gone quiet" in html

    def test_only_the_top_ten_are_listed(self, client_for, leader):
        for index in range(12):
            make_risk(title=f"Dashboard risk {index:02d}")

        html = page(client_for(leader), "/")

        assert html.count('class="risk-row"') == 10
        assert "The 10 most severe of 12" in html

    def test_the_empty_state_stays_when_there_are_none(self, client_for, leader, consultant):
        make_risk(title="Private only", private_to=consultant)

        html = page(client_for(leader), "/")

        assert "No open risks" in html
        assert "Private only" not in html

    def test_the_query_count_does_not_grow_with_risks(self, client_for, leader, consultant):
        def build(n):
            for _ in range(n):
                make_risk(
                    engagement=EngagementFactory(lead=consultant),
                    status=Risk.Status.ACKNOWLEDGED,
                    acknowledged_by=leader,
                    acknowledgement_note="Seen",
                )

        def count(client) -> int:
            with CaptureQueriesContext(connection) as captured:
                page(client, "/")
            return len(captured)

        client = client_for(leader)
        page(client, "/")
        build(2)
        few = count(client)
        build(15)
        many = count(client)

        assert many == few


class TestEngagementPage:
    def test_the_engagements_unresolved_shared_risks_are_listed(
        self, client_for, leader, consultant
    ):
        engagement = EngagementFactory(lead=consultant)
        make_risk(title="Open on this one", engagement=engagement)
        make_risk(
            title="Acknowledged on this one",
            engagement=engagement,
            status=Risk.Status.ACKNOWLEDGED,
        )
        make_risk(title="Resolved on this one", engagement=engagement, status=Risk.Status.RESOLVED)
        make_risk(
            title="Overload on this one",
            engagement=engagement,
            kind=Risk.Kind.OVERLOAD,
            private_to=consultant,
        )
        make_risk(title="On another engagement", engagement=EngagementFactory(lead=leader))

        for viewer in (leader, consultant):
            html = page(client_for(viewer), engagement.get_absolute_url())
            assert 'id="risks-title">Risks</h2>' in html
            assert "Open on this one" in html
            assert "Acknowledged on this one" in html
            assert "Resolved on this one" not in html
            assert "Overload on this one" not in html
            assert "On another engagement" not in html

    def test_sales_sees_no_risks_on_its_own_deal(self, client_for, sales):
        engagement = EngagementFactory(sold_by=sales)
        make_risk(title="Internal worry", engagement=engagement)

        html = page(client_for(sales), engagement.get_absolute_url())

        assert "Internal worry" not in html

    def test_the_query_count_does_not_grow_with_risks(self, client_for, leader, consultant):
        engagement = EngagementFactory(lead=consultant)

        def build(n):
            for _ in range(n):
                make_risk(
                    engagement=engagement,
                    status=Risk.Status.ACKNOWLEDGED,
                    acknowledged_by=leader,
                    acknowledgement_note="Seen",
                )

        def count(client) -> int:
            with CaptureQueriesContext(connection) as captured:
                page(client, engagement.get_absolute_url())
            return len(captured)

        client = client_for(leader)
        page(client, engagement.get_absolute_url())
        build(2)
        few = count(client)
        build(15)
        many = count(client)

        assert many == few


def test_the_dashboard_shows_the_evidence_naming_a_deferred_fix(client_for, leader):
    make_risk(
        kind=Risk.Kind.SCALING,
        title="Order API near its limit",
        severity=Risk.Severity.HIGH,
        evidence="Fix proposed 2026-09-01, deferred by Dana (VP Sales): Q4 first.",
    )

    html = client_for(leader).get("/").content.decode()

    assert "Order API near its limit" in html
    assert "deferred by Dana (VP Sales): Q4 first." in html
