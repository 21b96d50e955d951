"""The KPI evidence drill-down (leaders and admins) and the KPI targets page (admins)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from engagements.models import PainPoint
from health.kpis.base import KpiScope
from health.kpis.registry import KPIS
from health.kpis.tiles import kpi_tiles
from health.models import KpiTarget
from psops.accounts.models import Role
from tests.engagements.factories import EngagementFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVIDENCE = "/kpis/median_days_to_resolve/evidence/"
TARGETS = "/settings/kpis/"


def resolved(engagement, *, days_ago: int, took: int, title: str) -> PainPoint:
    today = timezone.localdate()
    return PainPoint.objects.create(
        engagement=engagement,
        title=title,
        status=PainPoint.Status.RESOLVED,
        identified_on=today - timedelta(days=days_ago + took),
        resolved_on=today - timedelta(days=days_ago),
        resolution="Fixed.",
    )


@pytest.fixture
def records(tenant):
    """Two pain points resolved in the last 90 days: one on a success engagement."""
    implementation = EngagementFactory(name="Rollout", kind="implementation")
    success = EngagementFactory(name="Care", kind="success")
    slow = resolved(implementation, days_ago=5, took=12, title="Slow <b>exports</b>")
    login = resolved(success, days_ago=3, took=4, title="Login loop")
    return {"implementation": implementation, "success": success, "slow": slow, "login": login}


# --- Evidence -------------------------------------------------------------------------------


def test_long_evidence_comes_in_pages_that_keep_the_scope(client_for, leader, records, monkeypatch):
    monkeypatch.setattr("health.kpis.base.EVIDENCE_PAGE_SIZE", 1)
    url = f"{EVIDENCE}?kind=&period=90"

    # Loaded into the dashboard's panel by htmx, its links still lead to the evidence.
    first = client_for(leader).get(url, headers={"HX-Request": "true", "HX-Target": "kpi-evidence"})
    assertContains(first, "Rows 1\N{EN DASH}1")
    assertContains(first, f'href="{EVIDENCE}?kind=&amp;period=90&amp;page=2" rel="next"')
    assertNotContains(first, 'rel="prev"')

    second = client_for(leader).get(f"{url}&page=2")
    assertContains(second, "Rows 2\N{EN DASH}2")
    assertContains(second, f'href="{EVIDENCE}?kind=&amp;period=90&amp;page=1" rel="prev"')
    assertNotContains(second, 'rel="next"')
    # The value is the whole KPI's, whichever page of its rows is shown.
    assertContains(second, '<dd id="kpi-evidence-value">8 days</dd>', html=True)


def test_a_page_that_is_not_a_number_is_refused_clearly(client_for, leader, records):
    response = client_for(leader).get(f"{EVIDENCE}?page=abc")
    assert response.status_code == 400
    assertContains(response, "page: Enter a whole number.", status_code=400)


def test_a_leader_sees_the_rows_behind_a_kpi_and_how_it_was_computed(client_for, leader, records):
    response = client_for(leader).get(EVIDENCE)

    assertContains(response, "<h1>Median days to resolve a pain point</h1>", html=False)
    assertContains(response, "over the 2 pain points resolved")
    assertContains(response, '<dd id="kpi-evidence-value">8 days</dd>', html=True)
    # Rows link to the pain point and its engagement; titles are text, never markup.
    assertContains(response, f'href="{records["slow"].get_absolute_url()}"')
    assertContains(response, f'href="{records["success"].get_absolute_url()}"')
    assertContains(response, "Slow &lt;b&gt;exports&lt;/b&gt;")
    assertNotContains(response, "Slow <b>exports</b>")
    assert "HX-Request" in response["Vary"]


def test_an_htmx_request_gets_only_the_evidence_partial(client_for, leader, records):
    # What a dashboard tile sends: its drill-down swaps into the evidence panel.
    response = client_for(leader).get(
        EVIDENCE, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kpi-evidence"
    )

    assert response.status_code == 200
    assertNotContains(response, "<html")
    assertContains(response, "Median days to resolve a pain point: how it was computed")
    assertContains(response, "Login loop")
    assertContains(response, f'href="{EVIDENCE}"')  # open on its own page


def test_an_admin_sees_evidence_too(client_for, admin_user, records):
    assertContains(client_for(admin_user).get(EVIDENCE), "Login loop")


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.SALES])
def test_consultants_and_sales_may_not_see_evidence(client_for, make_user, records, role):
    response = client_for(make_user(role)).get(EVIDENCE)

    assert response.status_code == 403
    assertNotContains(response, "Login loop", status_code=403)


def test_signed_out_visitors_are_sent_to_sign_in(anonymous_client):
    response = anonymous_client.get(EVIDENCE)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unknown_kpi_is_404(client_for, leader):
    assert client_for(leader).get("/kpis/happiness/evidence/").status_code == 404


def test_evidence_follows_the_tiles_scope(client_for, leader, records):
    page = client_for(leader)

    response = page.get(EVIDENCE + "?kind=success&period=30")

    assertContains(response, "Login loop")
    assertNotContains(response, "Slow &lt;b&gt;exports")
    assertContains(response, "Ongoing success")
    lead = records["implementation"].lead
    response = page.get(EVIDENCE + f"?lead={lead.pk}")
    assertContains(response, "Slow &lt;b&gt;exports")
    assertNotContains(response, "Login loop")
    assertContains(response, escape(lead.full_name))


def test_evidence_as_of_a_past_day(client_for, leader, records):
    before = (timezone.localdate() - timedelta(days=4)).isoformat()

    response = client_for(leader).get(EVIDENCE + f"?as_of={before}")

    assertContains(response, "Slow &lt;b&gt;exports")
    assertNotContains(response, "Login loop")  # resolved three days ago


@pytest.mark.parametrize(
    "query",
    [
        "?kind=bogus",
        "?lead=abc",
        "?period=0",
        "?as_of=yesterday",
        "?as_of=2999-01-01",
        "?as_of=0001-01-02",
        "?as_of=1899-12-31",
    ],
)
def test_a_bad_scope_gets_a_message_and_no_rows(client_for, leader, records, query):
    response = client_for(leader).get(EVIDENCE + query)

    assert response.status_code == 400
    assertContains(response, "cannot be shown", status_code=400)
    assertNotContains(response, "Login loop", status_code=400)


@pytest.mark.parametrize("key", ["median_days_to_resolve", "team_energy", "scaling_breaches_90d"])
def test_a_day_too_long_ago_gets_a_message_not_an_error(client_for, leader, key):
    """Near date.min the window and the week arithmetic would overflow (a 500)."""
    response = client_for(leader).get(f"/kpis/{key}/evidence/?as_of=0001-01-02&period=3650")

    assertContains(response, "The day must be between 1900-01-01 and today", status_code=400)


def test_the_earliest_day_still_works(client_for, leader):
    response = client_for(leader).get(
        "/kpis/median_days_to_resolve/evidence/?as_of=1900-01-01&period=3650"
    )

    assertContains(response, "1900-01-01")
    assert response.status_code == 200


def test_a_team_kpi_ignores_the_lead_and_says_so(client_for, leader):
    response = client_for(leader).get(f"/kpis/checkin_participation/evidence/?lead={leader.pk}")

    assertContains(response, "The lead and engagement-kind filters do not apply.")
    assertNotContains(response, "<dt>Lead</dt>")


def test_another_tenants_data_is_never_shown(client_for, leader, records, tenant, other_tenant):
    connection.set_tenant(other_tenant)
    globex_leader = UserFactory(role=Role.LEADER, email="leader@globex.test")
    resolved(EngagementFactory(), days_ago=2, took=40, title="Globex secret")
    connection.set_tenant(tenant)

    acme = client_for(leader).get(EVIDENCE)
    globex = client_for(globex_leader, organization=other_tenant).get(EVIDENCE)

    assertContains(acme, "over the 2 pain points resolved")
    assertNotContains(acme, "Globex secret")
    assertContains(globex, "Globex secret")
    assertContains(globex, "over the 1 pain points resolved")
    assertNotContains(globex, "Login loop")
    # An acme session is worthless on globex's host.
    assert client_for(leader).get(EVIDENCE, HTTP_HOST="globex.localhost").status_code == 302


def test_a_kpi_with_nothing_to_measure_says_so(client_for, leader):
    response = client_for(leader).get("/kpis/time_to_value/evidence/")

    assertContains(response, '<dd id="kpi-evidence-value">—</dd>', html=True)
    assertContains(response, "No rows:")


def test_the_tiles_partial_links_each_tile_to_its_evidence(tenant, records):
    KpiTarget.objects.create(key="median_days_to_resolve", target=Decimal("10"))
    tiles = kpi_tiles(as_of=timezone.localdate(), scope=KpiScope(kind="success"))

    html = render_to_string("health/kpis/_tiles.html", {"tiles": tiles})

    url = "/kpis/median_days_to_resolve/evidence/?kind=success"
    assert f'href="{url}"' in html
    assert f'hx-get="{url}"' in html
    assert 'hx-target="#kpi-evidence"' in html
    assert '<div id="kpi-evidence"' in html
    assert html.count('class="kpi-tile ') == len(KPIS)
    assert "On target" in html  # 4 days against a target of 10
    assert 'role="img"' in html


# --- Targets --------------------------------------------------------------------------------


def blank_form() -> dict[str, str]:
    return {kpi.key: "" for kpi in KPIS}


def test_an_admin_sees_every_kpi_with_its_current_target(client_for, admin_user):
    KpiTarget.objects.create(key="followups_on_time", target=Decimal("85.5"))
    KpiTarget.objects.create(key="scaling_breaches_90d", target=Decimal("0"))

    response = client_for(admin_user).get(TARGETS)

    for kpi in KPIS:
        assertContains(response, kpi.title)
    assertContains(response, "Follow-ups done on time (%)")
    assertContains(response, "Team energy (of 5)")
    assertContains(response, '<label for="id_surprises_per_handoff">Surprises per handoff</label>')
    assertContains(response, 'value="85.5"')
    assertContains(response, 'name="scaling_breaches_90d" value="0"')
    assertContains(response, "Lower is better.")
    assertContains(response, f'<a href="{TARGETS}" aria-current="page">KPI targets</a>', html=True)


def test_an_admin_sets_and_clears_targets_in_one_form(client_for, admin_user, leader):
    KpiTarget.objects.create(key="team_energy", target=Decimal("4"), updated_by=leader)
    KpiTarget.objects.create(key="time_to_value", target=Decimal("30"), updated_by=leader)
    data = blank_form() | {
        "followups_on_time": "90",
        "surprises_per_handoff": "0.5",
        "team_energy": "4.00",  # unchanged
    }

    response = client_for(admin_user).post(TARGETS, data, follow=True)

    assertContains(response, "KPI targets saved (3 changed).")
    targets = {t.key: (t.target, t.updated_by) for t in KpiTarget.objects.all()}
    assert targets == {
        "followups_on_time": (Decimal("90.00"), admin_user),
        "surprises_per_handoff": (Decimal("0.50"), admin_user),
        "team_energy": (Decimal("4.00"), leader),
    }


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("followups_on_time", "lots", "Enter a number."),
        ("followups_on_time", "101", "less than or equal to 100"),
        ("team_energy", "6", "less than or equal to 5"),
        ("median_days_to_resolve", "-1", "greater than or equal to 0"),
        ("surprises_per_handoff", "0.125", "no more than 2 decimal places"),
    ],
)
def test_a_bad_target_gets_a_message_and_changes_nothing(
    client_for, admin_user, field, typed, message
):
    KpiTarget.objects.create(key="followups_on_time", target=Decimal("80"))
    data = blank_form() | {"followups_on_time": "80", "time_to_value": "20", field: typed}

    response = client_for(admin_user).post(TARGETS, data)

    assertContains(response, message, status_code=400)
    assert dict(KpiTarget.objects.values_list("key", "target")) == {
        "followups_on_time": Decimal("80.00")
    }


@pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
def test_only_admins_may_set_targets(client_for, make_user, role):
    page = client_for(make_user(role))

    assert page.get(TARGETS).status_code == 403
    assert page.post(TARGETS, blank_form() | {"team_energy": "4"}).status_code == 403
    assert not KpiTarget.objects.exists()
    assertNotContains(page.get("/engagements/"), "KPI targets")
