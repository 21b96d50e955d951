import pytest
from django.db import connection

from psops.accounts.models import OrganizationSettings

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "review_sla_business_days": "2",
    "pulse_minimum_group": "5",
    "scaling_horizon_days": "180",
    "followup_escalation_days": "5",
    "stale_engagement_days": "21",
    "audit_retention_days": "730",
    "weekly_capacity_hours": "40",
}


def settings_data(**changes) -> dict:
    return {**DEFAULTS, **{key: str(value) for key, value in changes.items()}}


def test_an_admin_changes_the_review_sla(client_for, admin_user):
    client = client_for(admin_user)

    page = client.get("/settings/organization/")
    assert page.status_code == 200
    assert "Handoff review SLA" in page.content.decode()

    response = client.post(
        "/settings/organization/",
        settings_data(review_sla_business_days="4", pulse_minimum_group="5"),
    )

    assert response.status_code == 302
    assert OrganizationSettings.current().review_sla_business_days == 4


@pytest.mark.parametrize("value", ["0", "31", "two", ""])
def test_an_out_of_range_sla_is_refused_and_nothing_changes(client_for, admin_user, value):
    response = client_for(admin_user).post(
        "/settings/organization/", settings_data(review_sla_business_days=value)
    )

    assert response.status_code == 400
    assert OrganizationSettings.current().review_sla_business_days == 2


@pytest.mark.parametrize("role_fixture", ["leader", "consultant", "sales"])
def test_other_roles_cannot_change_settings(request, client_for, role_fixture):
    client = client_for(request.getfixturevalue(role_fixture))

    assert client.get("/settings/organization/").status_code == 403
    response = client.post("/settings/organization/", settings_data(review_sla_business_days=9))
    assert response.status_code == 403
    assert OrganizationSettings.current().review_sla_business_days == 2


def test_settings_are_per_tenant(tenant, other_tenant, client_for, admin_user):
    client_for(admin_user).post(
        "/settings/organization/",
        settings_data(review_sla_business_days="7", pulse_minimum_group="5"),
    )
    assert OrganizationSettings.current().review_sla_business_days == 7

    connection.set_tenant(other_tenant)
    assert OrganizationSettings.current().review_sla_business_days == 2


@pytest.mark.parametrize("value", ["2", "0", "51"])
def test_the_anonymity_minimum_cannot_go_below_three(client_for, admin_user, value):
    response = client_for(admin_user).post(
        "/settings/organization/",
        settings_data(pulse_minimum_group=value),
    )

    assert response.status_code == 400
    assert OrganizationSettings.current().pulse_minimum_group == 5
