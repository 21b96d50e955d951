"""The capacity grid: who may open it, what a cell says, filters, weeks, pages, the
inline allocation editor, and a query count that does not grow with the people."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capacity.hours import monday_of
from capacity.models import Allocation
from engagements.models import Engagement
from psops.accounts.models import Role
from tests.capacity.factories import AllocationFactory, DemandFactory, TimeOffFactory
from tests.engagements.factories import EngagementFactory
from tests.factories import UserFactory
from tests.handoffs.factories import HandoffPacketFactory

pytestmark = pytest.mark.django_db

GRID = reverse("capacity:capacity_grid")
HTMX = {"HTTP_HX_REQUEST": "true"}
MONDAY = monday_of(timezone.localdate())


def week(n: int) -> datetime.date:
    return MONDAY + datetime.timedelta(weeks=n)


@pytest.fixture
def engagement():
    return EngagementFactory(
        name="Rollout", start_date=week(-4), target_end_date=week(30), kind="implementation"
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.LEADER, 200), (Role.ADMIN, 200), (Role.CONSULTANT, 403), (Role.SALES, 403)],
)
def test_only_leaders_and_admins_open_the_grid(client_for, make_user, role, status):
    assert client_for(make_user(role)).get(GRID).status_code == status


def test_signed_out_is_sent_to_sign_in(anonymous_client):
    response = anonymous_client.get(GRID)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_cell_shows_allocated_against_capacity_over_allocation_in_words(
    client_for, leader, engagement
):
    ada = UserFactory(full_name="Ada Lovelace", team="Delivery")
    success = EngagementFactory(kind="success", start_date=None, target_end_date=None)
    AllocationFactory(
        person=ada, engagement=engagement, hours_per_week=30, starts_on=week(0), ends_on=week(2)
    )
    AllocationFactory(
        person=ada,
        engagement=success,
        hours_per_week=18,
        starts_on=week(0),
        ends_on=week(0) + datetime.timedelta(days=4),
        status=Allocation.Status.TENTATIVE,
    )
    TimeOffFactory(person=ada, starts_on=week(1), ends_on=week(1) + datetime.timedelta(days=1))
    html = client_for(leader).get(GRID).content.decode()
    row = html[html.index(f'id="person-{ada.pk}"') :]
    row = row[: row.index("</tbody>")]
    cells = re.findall(r'<td class="grid-cell[^"]*">(.*?)</td>', row, re.S)
    first, second = (" ".join(cell.split()) for cell in cells[:2])
    assert "48 / 40 h" in first and "Over 120%" in first
    assert "Implementation 30" in first and "Ongoing success 18" in first
    assert "of which tentative 18" in first
    assert "30 / 24 h" in second and "Over 125%" in second and "Away 2 d" in second
    assert 'class="grid-cell grid-over"' in row
    assert "Rollout" in row and "tentative" in row


def test_the_weeks_move_with_from_and_start_on_a_monday(client_for, leader):
    wednesday = week(5) + datetime.timedelta(days=2)
    html = client_for(leader).get(GRID, {"from": wednesday.isoformat()}).content.decode()
    assert f'<time datetime="{week(5).isoformat()}">' in html
    assert f'<time datetime="{week(16).isoformat()}">' in html
    assert f'<time datetime="{week(17).isoformat()}">' not in html
    assert f"from={week(4).isoformat()}" in html  # previous week
    assert f"from={week(6).isoformat()}" in html  # next week


def test_a_bad_from_is_this_week(client_for, leader):
    html = client_for(leader).get(GRID, {"from": "not-a-date"}).content.decode()
    assert f'<time datetime="{MONDAY.isoformat()}">' in html


def test_filters_by_team_role_and_engagement_kind(client_for, leader, engagement):
    ada = UserFactory(full_name="Ada Delivery", team="Delivery")
    UserFactory(full_name="Bob Platform", team="Platform", role=Role.LEADER)
    AllocationFactory(person=ada, engagement=engagement, starts_on=week(0), ends_on=week(2))
    UserFactory(full_name="Sam Sales", role=Role.SALES, team="Delivery")
    browser = client_for(leader)

    def names(**params):
        html = browser.get(GRID, params).content.decode()
        return {name for name in ("Ada Delivery", "Bob Platform", "Sam Sales") if name in html}

    assert names() == {"Ada Delivery", "Bob Platform"}
    assert names(team="Delivery") == {"Ada Delivery"}
    assert names(role="leader") == {"Bob Platform"}
    assert names(kind="implementation") == {"Ada Delivery"}
    assert names(kind="success") == set()


def test_the_htmx_filter_answers_the_results_alone(client_for, leader):
    response = client_for(leader).get(GRID, HTTP_HX_TARGET="grid-results", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="grid-results">')
    assert "<caption" in html and "<html" not in html


def test_tentative_demand_of_packets_in_review_is_a_row_apart(client_for, leader, sales):
    packet = HandoffPacketFactory(submitted=True, filed_by=sales, deal_name="Hooli deal")
    DemandFactory(packet=packet, hours_per_week=20, starts_on=week(0), ends_on=week(3))
    accepted = HandoffPacketFactory(status="accepted", filed_by=sales, deal_name="Old deal")
    DemandFactory(packet=accepted, starts_on=week(0), ends_on=week(3))
    html = client_for(leader).get(GRID).content.decode()
    demand = html[html.index('class="grid-demand"') :]
    assert "Tentative demand" in demand and "20 h" in demand and "Hooli deal" in demand
    assert "Solution architect" in demand and "nobody named yet" in demand
    assert "Old deal" not in html


def test_admins_see_demand_without_the_packets_name(client_for, admin_user, sales):
    packet = HandoffPacketFactory(submitted=True, filed_by=sales, deal_name="Hooli deal")
    DemandFactory(packet=packet, starts_on=week(0), ends_on=week(3))
    html = client_for(admin_user).get(GRID).content.decode()
    assert "A packet in review" in html and "Hooli deal" not in html


def test_people_come_in_pages_of_fifty(client_for, leader):
    UserFactory.create_batch(55)
    browser = client_for(leader)
    first = browser.get(GRID).content.decode()
    assert first.count('class="grid-person"') == 50
    assert "Page 1 of 2" in first
    second = browser.get(GRID, {"page": 2}).content.decode()
    assert second.count('class="grid-person"') == 7  # 55, the leader and the owner


def test_the_grid_fits_a_phone_by_scrolling_inside_its_region(client_for, leader):
    html = client_for(leader).get(GRID).content.decode()
    assert (
        '<div class="grid-scroll" role="region" aria-labelledby="grid-caption" tabindex="0">'
        in html
    )
    assert '<caption id="grid-caption">' in html
    assert '<th scope="col">Person</th>' in html and '<th scope="row">' in html


def _count(browser) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(GRID).status_code == 200
    return len(queries)


def test_the_grid_runs_the_same_queries_for_2_or_20_people(
    client_for, leader, engagement, django_assert_max_num_queries
):
    def people(n):
        for person in UserFactory.create_batch(n, team="Delivery"):
            AllocationFactory(
                person=person, engagement=engagement, starts_on=week(0), ends_on=week(8)
            )
            TimeOffFactory(person=person, starts_on=week(2), ends_on=week(2))
            DemandFactory(
                packet=HandoffPacketFactory(submitted=True),
                person=person,
                starts_on=week(1),
                ends_on=week(4),
            )

    browser = client_for(leader)
    people(2)
    few = _count(browser)
    people(18)
    with django_assert_max_num_queries(few):
        browser.get(GRID)
    assert few <= 40


# --- The inline editor -------------------------------------------------------------------


@pytest.fixture
def allocation(engagement):
    return AllocationFactory(
        person=UserFactory(full_name="Ada Lovelace"),
        engagement=engagement,
        role="Architect",
        hours_per_week=20,
        starts_on=week(0),
        ends_on=week(4),
    )


def edit_url(allocation) -> str:
    return reverse("capacity:allocation_edit", args=[allocation.pk])


def test_the_grid_links_each_allocation_to_its_editor_with_and_without_javascript(
    client_for, leader, allocation
):
    html = client_for(leader).get(GRID).content.decode()
    link = re.search(
        rf'<a href="(/capacity/allocations/{allocation.pk}/\?[^"]+)" hx-get="([^"]+)"', html
    )
    assert link and link.group(1) == link.group(2)
    assert f'hx-target="#person-{allocation.person_id}"' in html


def test_clicking_an_allocation_swaps_in_the_row_with_its_form(client_for, leader, allocation):
    response = client_for(leader).get(
        edit_url(allocation),
        {"from": MONDAY.isoformat(), "next": GRID},
        HTTP_HX_TARGET=f"person-{allocation.person_id}",
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tbody id="person-{allocation.person_id}"')
    assert 'class="grid-edit"' in html and 'name="hours_per_week"' in html
    assert "<html" not in html


def test_saving_inline_re_renders_the_row_with_the_new_hours(client_for, leader, allocation):
    data = {
        "person": allocation.person_id,
        "role": "Architect",
        "hours_per_week": "44",
        "starts_on": week(0).isoformat(),
        "ends_on": week(4).isoformat(),
        "status": "confirmed",
    }
    response = client_for(leader).post(
        f"{edit_url(allocation)}?from={MONDAY.isoformat()}",
        data,
        HTTP_HX_TARGET=f"person-{allocation.person_id}",
        **HTMX,
    )
    html = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "44 / 40 h" in html and "Over 110%" in html and 'class="grid-edit"' not in html
    allocation.refresh_from_db()
    assert allocation.hours_per_week == Decimal("44")


def test_bad_input_inline_answers_400_with_the_message_and_changes_nothing(
    client_for, leader, allocation
):
    data = {
        "person": allocation.person_id,
        "role": "Architect",
        "hours_per_week": "90",
        "starts_on": week(0).isoformat(),
        "ends_on": week(4).isoformat(),
        "status": "confirmed",
    }
    response = client_for(leader).post(
        edit_url(allocation), data, HTTP_HX_TARGET=f"person-{allocation.person_id}", **HTMX
    )
    assert response.status_code == 400
    assert "Hours a week must be more than 0 and at most 80." in response.content.decode()
    allocation.refresh_from_db()
    assert allocation.hours_per_week == Decimal("20")


def test_cancel_re_renders_one_persons_row(client_for, leader, allocation):
    pid = allocation.person_id
    response = client_for(leader).get(
        GRID, {"person": pid, "from": MONDAY.isoformat()}, HTTP_HX_TARGET=f"person-{pid}", **HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tbody id="person-{pid}"') and "grid-edit" not in html


def test_the_full_page_editor_saves_and_goes_back(client_for, leader, allocation):
    browser = client_for(leader)
    page = browser.get(edit_url(allocation), {"next": GRID})
    assert page.status_code == 200 and "<html" in page.content.decode()
    data = {
        "person": allocation.person_id,
        "role": "Lead",
        "hours_per_week": "10",
        "starts_on": week(0).isoformat(),
        "ends_on": week(2).isoformat(),
        "status": "tentative",
        "next": GRID,
    }
    response = browser.post(edit_url(allocation), data)
    assert response.status_code == 302 and response["Location"] == GRID
    allocation.refresh_from_db()
    assert (allocation.role, allocation.status) == ("Lead", "tentative")


def test_the_editor_ignores_a_next_to_another_site(client_for, leader, allocation):
    data = {
        "person": allocation.person_id,
        "role": "Lead",
        "hours_per_week": "10",
        "starts_on": week(0).isoformat(),
        "ends_on": week(2).isoformat(),
        "status": "confirmed",
        "next": "https://evil.test/",
    }
    response = client_for(leader).post(edit_url(allocation), data)
    assert response["Location"].startswith(f"/engagements/{allocation.engagement_id}/")


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.SALES])
def test_others_cannot_open_the_editor(client_for, make_user, allocation, role):
    assert client_for(make_user(role)).get(edit_url(allocation)).status_code == 403


def test_an_engagement_unknown_kind_filter_is_ignored(client_for, leader):
    assert client_for(leader).get(GRID, {"kind": "nonsense", "role": "sales"}).status_code == 200
    assert Engagement.Kind.values  # the filter reads these
