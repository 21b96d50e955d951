"""Allocating from the engagement page, the engagement's planning panel (and its query
count), and tentative demand on a packet under review."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capacity.models import Allocation, WorkingPattern
from psops.accounts.models import Role
from tests.capacity.factories import AllocationFactory, DemandFactory
from tests.engagements.factories import EngagementFactory
from tests.factories import UserFactory
from tests.handoffs.factories import HandoffPacketFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
GLOBEX_ONLY_ID = 987_654_321
HTMX = {"HTTP_HX_REQUEST": "true"}


def days(n: int) -> str:
    return (TODAY + datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def carlos(make_user):
    person = make_user(Role.CONSULTANT, full_name="Carlos Silva", time_zone="Europe/Lisbon")
    WorkingPattern.objects.create(person=person, weekdays=[0, 1, 2, 3])
    return person


@pytest.fixture
def engagement(carlos, sales):
    return EngagementFactory(
        name="Rollout",
        start_date=TODAY - datetime.timedelta(days=30),
        target_end_date=TODAY + datetime.timedelta(days=60),
        team=[carlos],
        sold_by=sales,
    )


def create_url(engagement) -> str:
    return reverse("capacity:allocation_create", args=[engagement.pk])


def allocation_data(person, **changes) -> dict:
    return {
        "person": person.pk,
        "role": "Architect",
        "hours_per_week": "20",
        "starts_on": days(0),
        "ends_on": days(30),
        "status": "confirmed",
    } | changes


# --- Allocating --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.LEADER, 200), (Role.ADMIN, 200), (Role.CONSULTANT, 403), (Role.SALES, 403)],
)
def test_who_may_open_the_allocation_form(client_for, make_user, engagement, role, status):
    assert client_for(make_user(role)).get(create_url(engagement)).status_code == status


def test_a_leader_allocates_and_lands_on_the_engagement(client_for, leader, carlos, engagement):
    response = client_for(leader).post(create_url(engagement), allocation_data(carlos))
    assert response.status_code == 302
    assert response["Location"] == f"/engagements/{engagement.pk}/#planning"
    allocation = Allocation.objects.get()
    assert (allocation.engagement, allocation.person, allocation.created_by) == (
        engagement,
        carlos,
        leader,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hours_per_week": "0"}, "Hours a week must be more than 0 and at most 80."),
        ({"hours_per_week": "81"}, "Hours a week must be more than 0 and at most 80."),
        ({"starts_on": days(5), "ends_on": days(4)}, "The allocation ends before it starts."),
        ({"starts_on": days(-31)}, "the allocation cannot start before."),
        ({"ends_on": days(61)}, "the allocation cannot end after."),
    ],
)
def test_bad_allocations_are_400_with_a_message_and_change_nothing(
    client_for, leader, carlos, engagement, changes, message
):
    response = client_for(leader).post(create_url(engagement), allocation_data(carlos, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Allocation.objects.exists()


def test_the_htmx_form_answers_its_partial(client_for, leader, carlos, engagement):
    response = client_for(leader).post(
        create_url(engagement),
        allocation_data(carlos, hours_per_week="0"),
        HTTP_HX_TARGET="allocation-form",
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.lstrip().startswith('<div class="card form-card" id="allocation-form">')


def test_an_inactive_person_is_not_offered_nor_accepted(client_for, leader, engagement):
    gone = UserFactory(is_active=False, full_name="Gone Person")
    browser = client_for(leader)
    assert "Gone Person" not in browser.get(create_url(engagement)).content.decode()
    response = browser.post(create_url(engagement), allocation_data(gone))
    assert response.status_code == 400
    assert not Allocation.objects.exists()


def test_removing_an_allocation(client_for, leader, engagement):
    allocation = AllocationFactory(engagement=engagement)
    url = reverse("capacity:allocation_delete", args=[allocation.pk])
    assert client_for(leader).post(url).status_code == 302
    assert not Allocation.objects.exists()


def test_a_consultant_cannot_remove_one(client_for, consultant, engagement):
    allocation = AllocationFactory(engagement=engagement)
    url = reverse("capacity:allocation_delete", args=[allocation.pk])
    assert client_for(consultant).post(url).status_code == 403
    assert Allocation.objects.exists()


def test_another_organizations_engagement_and_allocation_are_404(
    client_for, leader, carlos, tenant, other_tenant
):
    connection.set_tenant(other_tenant)
    theirs = EngagementFactory(id=GLOBEX_ONLY_ID)
    AllocationFactory(id=GLOBEX_ONLY_ID, engagement=theirs)
    connection.set_tenant(tenant)
    browser = client_for(leader)
    create = f"/capacity/engagements/{GLOBEX_ONLY_ID}/allocate/"
    assert browser.get(create).status_code == 404
    assert browser.post(create, allocation_data(carlos)).status_code == 404
    assert browser.get(f"/capacity/allocations/{GLOBEX_ONLY_ID}/").status_code == 404
    assert browser.post(f"/capacity/allocations/{GLOBEX_ONLY_ID}/delete/").status_code == 404
    assert not Allocation.objects.exists()
    connection.set_tenant(other_tenant)
    assert Allocation.objects.filter(pk=GLOBEX_ONLY_ID).exists()


# --- The engagement page's panel ---------------------------------------------------------


def test_the_engagement_page_shows_who_works_when_and_the_allocations(
    client_for, leader, carlos, engagement
):
    AllocationFactory(
        engagement=engagement,
        person=carlos,
        role="Architect",
        hours_per_week=16,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=20),
        status="tentative",
    )
    html = client_for(leader).get(engagement.get_absolute_url()).content.decode()
    assert "Carlos Silva works 09:00\u201317:00 Europe/Lisbon, not on Fridays" in html
    assert "Our team&#x27;s working hours:\n- Carlos Silva works 09:00" in html
    assert "Architect" in html and "Tentative" in html
    assert create_url(engagement) in html


@pytest.mark.parametrize("role", [Role.CONSULTANT, Role.SALES])
def test_others_read_the_panel_without_the_allocate_link(
    client_for, make_user, carlos, engagement, sales, role
):
    viewer = sales if role == Role.SALES else make_user(role)
    html = client_for(viewer).get(engagement.get_absolute_url()).content.decode()
    assert "Carlos Silva works 09:00" in html
    assert create_url(engagement) not in html


def test_the_panel_runs_the_same_queries_for_2_or_20_people(
    client_for, leader, engagement, django_assert_max_num_queries
):
    def staff(n):
        for person in UserFactory.create_batch(n):
            WorkingPattern.objects.create(person=person, weekdays=[0, 1, 2])
            engagement.team.add(person)
            AllocationFactory(
                engagement=engagement,
                person=person,
                starts_on=TODAY,
                ends_on=TODAY + datetime.timedelta(days=7),
            )

    browser = client_for(leader)
    staff(2)
    with CaptureQueriesContext(connection) as few:
        assert browser.get(engagement.get_absolute_url()).status_code == 200
    staff(18)
    with django_assert_max_num_queries(len(few)):
        html = browser.get(engagement.get_absolute_url()).content.decode()
    # The 20 and Carlos, each in the list and in the summary for the client.
    assert html.count("works 09:00") == 2 * 21


# --- Demand on a packet under review -----------------------------------------------------


@pytest.fixture
def packet(sales, consultant):
    return HandoffPacketFactory(
        filed_by=sales, submitted=True, ready=True, assigned_reviewer=consultant
    )


def demand_url(packet) -> str:
    return reverse("capacity:packet_demand_add", args=[packet.pk])


DEMAND = {"role": "Architect", "hours_per_week": "20", "starts_on": days(14), "ends_on": days(70)}


@pytest.mark.parametrize(
    ("who", "status"),
    [("leader", 302), ("consultant", 302), ("sales", 403), ("admin_user", 403)],
)
def test_a_leader_or_the_reviewer_adds_demand(request, client_for, packet, who, status):
    response = client_for(request.getfixturevalue(who)).post(demand_url(packet), DEMAND)
    assert response.status_code == status
    assert Allocation.objects.filter(packet=packet, status="tentative").exists() is (status == 302)


def test_a_consultant_who_is_not_the_reviewer_gets_404(client_for, make_user, packet):
    other = make_user(Role.CONSULTANT)
    assert client_for(other).post(demand_url(packet), DEMAND).status_code == 404
    assert not Allocation.objects.exists()


def test_htmx_add_sends_the_browser_back_to_the_packet(client_for, leader, packet):
    response = client_for(leader).post(demand_url(packet), DEMAND, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/handoffs/{packet.pk}/#packet-demand"


def test_demand_on_a_packet_not_under_review_is_400(client_for, leader, sales):
    draft = HandoffPacketFactory(filed_by=sales, status="changes_requested")
    response = client_for(leader).post(demand_url(draft), DEMAND)
    assert response.status_code == 400
    assert "Demand is added while the packet is under review." in response.content.decode()
    assert not Allocation.objects.exists()


def test_bad_demand_is_400(client_for, leader, packet):
    response = client_for(leader).post(demand_url(packet), DEMAND | {"ends_on": days(1)})
    assert response.status_code == 400
    assert "The allocation ends before it starts." in response.content.decode()
    assert not Allocation.objects.exists()


def test_the_packet_page_shows_the_demand_read_only_to_sales(client_for, packet, sales, leader):
    line = DemandFactory(packet=packet, role="Data engineer")
    sales_html = client_for(sales).get(packet.get_absolute_url()).content.decode()
    assert "Staffing demand" in sales_html and "Data engineer" in sales_html
    assert demand_url(packet) not in sales_html
    assert reverse("capacity:packet_demand_delete", args=[line.pk]) not in sales_html
    leader_html = client_for(leader).get(packet.get_absolute_url()).content.decode()
    assert demand_url(packet) in leader_html


def test_another_reps_packet_shows_sales_nothing(client_for, packet, make_user):
    DemandFactory(packet=packet)
    other_rep = make_user(Role.SALES)
    assert client_for(other_rep).get(packet.get_absolute_url()).status_code == 404


def test_removing_a_demand_line_with_htmx_re_renders_the_panel(client_for, consultant, packet):
    line = DemandFactory(packet=packet, role="Data engineer")
    url = reverse("capacity:packet_demand_delete", args=[line.pk])
    response = client_for(consultant).post(url, HTTP_HX_TARGET="packet-demand", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="card" id="packet-demand"')
    assert not Allocation.objects.exists()


def test_removing_without_javascript_goes_back_to_the_packet(client_for, leader, packet):
    line = DemandFactory(packet=packet)
    url = reverse("capacity:packet_demand_delete", args=[line.pk])
    response = client_for(leader).post(url)
    assert response["Location"] == f"/handoffs/{packet.pk}/#packet-demand"


def test_sales_cannot_remove_demand(client_for, sales, packet):
    line = DemandFactory(packet=packet)
    url = reverse("capacity:packet_demand_delete", args=[line.pk])
    assert client_for(sales).post(url).status_code == 403
    assert Allocation.objects.exists()


def test_another_organizations_packet_and_demand_are_404(client_for, leader, tenant, other_tenant):
    connection.set_tenant(other_tenant)
    theirs = HandoffPacketFactory(id=GLOBEX_ONLY_ID, submitted=True)
    DemandFactory(id=GLOBEX_ONLY_ID, packet=theirs)
    connection.set_tenant(tenant)
    browser = client_for(leader)
    assert browser.post(f"/capacity/packets/{GLOBEX_ONLY_ID}/demand/", DEMAND).status_code == 404
    assert browser.post(f"/capacity/demand/{GLOBEX_ONLY_ID}/delete/").status_code == 404
    assert not Allocation.objects.exists()
