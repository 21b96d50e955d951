"""Every change to a person's email, password, role, manager or activation is emailed
to them, whichever path made it (the services send it; the pages, the reset link and
the management command all go through them)."""

import io
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from psops.accounts import services
from psops.accounts.models import Role
from psops.accounts.sessions import VERIFIED_AT_KEY
from tests.conftest import TenantClient, host_of
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lanterns over the harbour 12"
SUBJECT = "Your PS Ops account changed"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block and send what its commit owes."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def notices_to(mailoutbox, address):
    return [m for m in mailoutbox if m.to == [address] and m.subject == SUBJECT]


def edit(browser, person, **changes):
    data = {
        "full_name": person.full_name,
        "role": person.role,
        "manager": person.manager_id or "",
        "time_zone": person.time_zone,
        "team": person.team,
    }
    return browser.post(f"/settings/users/{person.pk}/", data | changes)


class TestThePeoplePages:
    def test_a_role_change_is_told_with_who_made_it(
        self, client_for, admin_user, consultant, mailoutbox, committed
    ):
        with committed():
            edit(client_for(admin_user), consultant, role=Role.LEADER)

        [notice] = notices_to(mailoutbox, consultant.email)
        assert "Your role changed from Consultant to PS leader." in notice.body
        assert f"Changed by {admin_user.display_name} ({admin_user.email})" in notice.body
        assert "http://acme.localhost:8000/account/security/" in notice.body

    def test_a_new_manager_and_no_manager_are_told(
        self, client_for, admin_user, consultant, leader, mailoutbox, committed
    ):
        browser = client_for(admin_user)
        with committed():
            edit(browser, consultant, manager=leader.pk)
        consultant.refresh_from_db()
        with committed():
            edit(browser, consultant, manager="")

        bodies = [m.body for m in notices_to(mailoutbox, consultant.email)]
        assert len(bodies) == 2
        assert f"Your manager is now {leader}." in bodies[0]
        assert "You no longer have a manager." in bodies[1]

    def test_a_change_of_name_or_time_zone_alone_sends_nothing(
        self, client_for, admin_user, consultant, mailoutbox, committed
    ):
        with committed():
            edit(client_for(admin_user), consultant, full_name="New Name", time_zone="UTC")

        assert mailoutbox == []

    def test_deactivation_and_reactivation_are_told(
        self, client_for, admin_user, consultant, mailoutbox, committed
    ):
        browser = client_for(admin_user)
        with committed():
            browser.post(f"/settings/users/{consultant.pk}/active/", {"active": "0"})
            browser.post(f"/settings/users/{consultant.pk}/active/", {"active": "1"})

        bodies = [m.body for m in notices_to(mailoutbox, consultant.email)]
        assert len(bodies) == 2
        assert "Your account was deactivated" in bodies[0]
        assert "Your account was reactivated" in bodies[1]

    def test_a_refused_change_tells_nobody(self, admin_user, mailoutbox, committed):
        with committed(), pytest.raises(ValidationError):
            services.user_set_active(user=admin_user, by=admin_user, active=False)

        assert mailoutbox == []


class TestPasswords:
    def test_changing_ones_password_on_the_security_page_is_told(
        self, client_for, consultant, mailoutbox, committed
    ):
        browser = client_for(consultant)
        session = browser.session
        session[VERIFIED_AT_KEY] = int(time.time())
        session.save()

        with committed():
            response = browser.post(
                "/account/password/",
                {
                    "old_password": TEST_PASSWORD,
                    "new_password1": NEW_PASSWORD,
                    "new_password2": NEW_PASSWORD,
                },
            )

        assert response.status_code == 302
        [notice] = notices_to(mailoutbox, consultant.email)
        assert "Your password was changed." in notice.body
        assert "Changed by" not in notice.body
        consultant.refresh_from_db()
        assert consultant.check_password(NEW_PASSWORD)

    def test_a_password_reset_is_told(self, tenant, consultant, mailoutbox, committed):
        browser = TenantClient(host=host_of(tenant))
        with committed():
            browser.post("/accounts/password-reset/", {"email": consultant.email})
        [reset] = mailoutbox
        path = reset.body.split("http://acme.localhost:8000", 1)[1].split()[0]
        form = browser.get(path, follow=True)

        with committed():
            browser.post(
                form.redirect_chain[-1][0],
                {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            )

        [notice] = notices_to(mailoutbox, consultant.email)
        assert "Your password was changed." in notice.body

    def test_the_management_command_is_told(
        self, tenant, consultant, mailoutbox, committed, monkeypatch
    ):
        monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)

        with committed():
            call_command("changepassword", consultant.email.upper(), stdout=io.StringIO())

        consultant.refresh_from_db()
        assert consultant.check_password(NEW_PASSWORD)
        [notice] = notices_to(mailoutbox, consultant.email)
        assert "Your password was changed." in notice.body
