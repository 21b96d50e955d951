"""A person's capacity page: who reads it, who changes what, the private reason, and
bad input that changes nothing (full page and htmx)."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from capacity.models import TimeOff, WeeklyCapacity, WorkingPattern
from psops.accounts.models import Role
from tests.capacity.factories import TimeOffFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "person-capacity"}
GLOBEX_ONLY_ID = 987_654_321


def page(person) -> str:
    return reverse("capacity:person_capacity", args=[person.pk])


@pytest.fixture
def boss(make_user):
    return make_user(Role.CONSULTANT, full_name="Bea Boss")


@pytest.fixture
def carlos(make_user, boss):
    return make_user(
        Role.CONSULTANT, full_name="Carlos Silva", manager=boss, time_zone="Europe/Lisbon"
    )


@pytest.fixture
def sick(carlos):
    return TimeOffFactory(
        person=carlos,
        reason=TimeOff.Reason.SICK,
        starts_on=datetime.date(2099, 1, 5),
        ends_on=datetime.date(2099, 1, 9),
    )


@pytest.mark.parametrize(
    ("who", "status", "reason_shown"),
    [
        ("carlos", 200, True),
        ("boss", 200, True),
        ("admin_user", 200, True),
        ("leader", 200, False),
        ("consultant", 404, None),
        ("sales", 404, None),
    ],
)
def test_who_reads_a_persons_page_and_its_reason(
    request, client_for, carlos, sick, who, status, reason_shown
):
    response = client_for(request.getfixturevalue(who)).get(page(carlos))
    assert response.status_code == status
    if status == 200:
        html = " ".join(response.content.decode().split())
        shown = "5 Jan 2099 to 9 Jan 2099: " + (
            '<span class="pill">Sick leave</span>'
            if reason_shown
            else '<span class="pill">away</span>'
        )
        assert shown in html


def test_a_manager_reads_but_does_not_change(client_for, carlos, boss):
    html = client_for(boss).get(page(carlos)).content.decode()
    assert "Add time off" not in html and "Save weekly hours" not in html
    response = client_for(boss).post(
        reverse("capacity:time_off_add", args=[carlos.pk]),
        {"starts_on": "2099-02-01", "ends_on": "2099-02-02", "reason": "vacation"},
    )
    assert response.status_code == 403
    assert not TimeOff.objects.exists()


def test_signed_out_is_sent_to_sign_in(anonymous_client, carlos):
    response = anonymous_client.get(page(carlos))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_person_adds_their_own_time_off_without_javascript(client_for, carlos):
    url = reverse("capacity:time_off_add", args=[carlos.pk])
    data = {"starts_on": "2099-02-01", "ends_on": "2099-02-05", "reason": "training"}
    response = client_for(carlos).post(url, data)
    assert response.status_code == 302 and response["Location"] == page(carlos)
    assert TimeOff.objects.get().reason == "training"


def test_with_htmx_the_section_comes_back_with_the_new_time_off(client_for, carlos):
    url = reverse("capacity:time_off_add", args=[carlos.pk])
    data = {"starts_on": "2099-02-01", "ends_on": "2099-02-05", "reason": "vacation"}
    response = client_for(carlos).post(url, data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="person-capacity">') and "<html" not in html
    assert "Time off recorded." in html and "1 Feb 2099 to 5 Feb 2099" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_overlapping_time_off_is_400_with_the_reason_and_changes_nothing(
    client_for, carlos, sick, htmx
):
    url = reverse("capacity:time_off_add", args=[carlos.pk])
    data = {"starts_on": "2099-01-08", "ends_on": "2099-01-12", "reason": "vacation"}
    response = client_for(carlos).post(url, data, **(HTMX if htmx else {}))
    assert response.status_code == 400
    assert "already away from 5 Jan 2099 to 9 Jan 2099" in response.content.decode()
    assert TimeOff.objects.count() == 1


def test_time_off_ending_before_it_starts_is_400(client_for, leader, carlos):
    url = reverse("capacity:time_off_add", args=[carlos.pk])
    data = {"starts_on": "2099-01-08", "ends_on": "2099-01-07", "reason": "vacation"}
    response = client_for(leader).post(url, data)
    assert response.status_code == 400
    assert "The time off ends before it starts." in response.content.decode()
    assert not TimeOff.objects.exists()


def test_removing_time_off(client_for, carlos, sick):
    url = reverse("capacity:time_off_delete", args=[sick.pk])
    assert client_for(carlos).post(url, **HTMX).status_code == 200
    assert not TimeOff.objects.exists()


def test_a_colleague_cannot_remove_it(client_for, consultant, sick):
    url = reverse("capacity:time_off_delete", args=[sick.pk])
    assert client_for(consultant).post(url).status_code == 404
    assert TimeOff.objects.exists()


def test_working_hours_are_saved_and_shown(client_for, carlos):
    url = reverse("capacity:working_pattern_set", args=[carlos.pk])
    data = {"starts_at": "09:00", "ends_at": "17:00", "weekdays": ["0", "1", "2", "3"]}
    response = client_for(carlos).post(url, data, **HTMX)
    assert response.status_code == 200
    assert "Carlos Silva works 09:00\u201317:00 Europe/Lisbon, not on Fridays" in (
        response.content.decode()
    )
    assert WorkingPattern.objects.get(person=carlos).weekdays == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"starts_at": "17:00", "ends_at": "09:00", "weekdays": ["0"]},
            "The working day must end after it starts.",
        ),
        ({"starts_at": "09:00", "ends_at": "17:00"}, "Choose at least one working day."),
    ],
)
def test_bad_working_hours_are_400_and_change_nothing(client_for, carlos, data, message):
    url = reverse("capacity:working_pattern_set", args=[carlos.pk])
    response = client_for(carlos).post(url, data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not WorkingPattern.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("leader", 302), ("admin_user", 302), ("carlos", 403), ("boss", 403), ("sales", 403)],
)
def test_only_planners_set_weekly_hours(request, client_for, carlos, who, status):
    url = reverse("capacity:weekly_capacity_set", args=[carlos.pk])
    data = {"starts_on": "2099-03-01", "hours_per_week": "24"}
    assert client_for(request.getfixturevalue(who)).post(url, data).status_code == status
    assert WeeklyCapacity.objects.exists() is (status == 302)


@pytest.mark.parametrize("hours", ["81", "-1"])
def test_weekly_hours_out_of_range_are_400(client_for, leader, carlos, hours):
    url = reverse("capacity:weekly_capacity_set", args=[carlos.pk])
    response = client_for(leader).post(url, {"starts_on": "2099-03-01", "hours_per_week": hours})
    assert response.status_code == 400
    assert "Weekly hours must be from 0 to 80." in response.content.decode()
    assert not WeeklyCapacity.objects.exists()


def test_the_page_shows_part_time_from_a_date(client_for, leader, carlos):
    WeeklyCapacity.objects.create(
        person=carlos, starts_on=datetime.date(2000, 1, 3), hours_per_week=24
    )
    html = client_for(leader).get(page(carlos)).content.decode()
    assert "24 h a week" in html and "From 3 Jan 2000: 24 h a week" in html


def test_another_organizations_people_and_time_off_are_404(
    client_for, leader, tenant, other_tenant
):
    connection.set_tenant(other_tenant)
    stranger = UserFactory(id=GLOBEX_ONLY_ID, email="stranger@globex.test")
    away = TimeOffFactory(id=GLOBEX_ONLY_ID, person=stranger)
    connection.set_tenant(tenant)
    browser = client_for(leader)
    data = {"starts_on": "2099-02-01", "ends_on": "2099-02-05", "reason": "vacation"}
    assert browser.get(f"/capacity/people/{GLOBEX_ONLY_ID}/").status_code == 404
    assert browser.post(f"/capacity/people/{GLOBEX_ONLY_ID}/time-off/", data).status_code == 404
    assert browser.post(f"/capacity/time-off/{GLOBEX_ONLY_ID}/delete/").status_code == 404
    connection.set_tenant(other_tenant)
    assert TimeOff.objects.filter(pk=away.pk).exists()
