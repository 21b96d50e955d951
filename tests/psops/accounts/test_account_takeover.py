"""A tenant admin cannot take over another person's account.

The attack: change the victim's email address to one the admin reads, then ask for a
password reset to it and sign in as the victim. Every way to the first step is
closed: the Django admin is not served on an organization's host, the people pages
have no email field, and nobody changes another person's address (one changes one's
own, confirmed from both addresses, on the security page).
"""

import pytest

from psops.accounts.models import Role, User
from tests.conftest import TenantClient, host_of

pytestmark = pytest.mark.django_db

ATTACKER_ADDRESS = "mallory@attacker.test"


@pytest.fixture
def victim(make_user):
    return make_user(Role.LEADER, email="victim@acme.test", full_name="Vic Tim")


@pytest.fixture
def admin_browser(client_for, admin_user):
    return client_for(admin_user)


def _reset_emails_to(mailoutbox, address):
    return [message for message in mailoutbox if address in message.to]


def test_the_django_admin_cannot_change_anyones_email_for_a_password_reset(
    tenant, admin_browser, victim, mailoutbox, django_capture_on_commit_callbacks
):
    change_page = f"/admin/accounts/user/{victim.pk}/change/"

    with django_capture_on_commit_callbacks(execute=True):
        admin_browser.post(
            change_page,
            {
                "email": ATTACKER_ADDRESS,
                "full_name": victim.full_name,
                "time_zone": victim.time_zone,
            },
        )
        TenantClient(host=host_of(tenant)).post(
            "/accounts/password-reset/", {"email": ATTACKER_ADDRESS}
        )

    victim.refresh_from_db()
    assert victim.email == "victim@acme.test"
    assert _reset_emails_to(mailoutbox, ATTACKER_ADDRESS) == []
    assert admin_browser.get("/admin/").status_code == 404
    assert admin_browser.get(change_page).status_code == 404


def test_the_people_pages_change_no_email(admin_browser, victim):
    page = admin_browser.get(f"/settings/users/{victim.pk}/")
    assert page.status_code == 200
    assert 'name="email"' not in page.content.decode()

    admin_browser.post(
        f"/settings/users/{victim.pk}/",
        {
            "email": ATTACKER_ADDRESS,
            "full_name": victim.full_name,
            "role": victim.role,
            "manager": "",
            "time_zone": victim.time_zone,
        },
    )

    victim.refresh_from_db()
    assert victim.email == "victim@acme.test"


def test_a_tenant_admin_is_not_staff_on_their_organizations_host(tenant, admin_user):
    assert not User.objects.get(pk=admin_user.pk).is_staff
