"""Idle timeout, re-authentication and other sessions ending with a password change."""

import time

import pytest
import time_machine

from psops.accounts.sessions import reauth_required
from tests.conftest import TenantClient, host_of
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "quiet lighthouse keeper 58"


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password})


@pytest.fixture
def signed_in(tenant, consultant):
    client = TenantClient(host=host_of(tenant))
    assert sign_in(client, consultant.email).status_code == 302
    return client


class TestIdleTimeout:
    def test_a_session_unused_for_longer_than_the_idle_time_is_signed_out(
        self, signed_in, settings
    ):
        settings.SESSION_IDLE_MINUTES = 30
        with time_machine.travel(time.time() + 31 * 60, tick=False):
            response = signed_in.get("/", follow=True)

        assert response.redirect_chain[-1][0].startswith("/accounts/login/")
        assert "signed out after 30 minutes without activity" in response.content.decode()
        assert signed_in.get("/").status_code == 302

    def test_requests_within_the_idle_time_keep_the_session(self, signed_in, settings):
        settings.SESSION_IDLE_MINUTES = 30
        start = time.time()
        for minutes in (20, 40, 60):  # never 30 minutes apart
            with time_machine.travel(start + minutes * 60, tick=False):
                assert signed_in.get("/").status_code == 200


class TestReauthentication:
    def test_a_fresh_sign_in_counts_as_recent(self, signed_in):
        assert signed_in.get("/account/password/").status_code == 200

    def test_after_the_window_the_password_is_asked_again_and_then_the_page_opens(
        self, signed_in, settings
    ):
        settings.SESSION_REAUTH_MINUTES = 10
        with time_machine.travel(time.time() + 11 * 60, tick=False):
            response = signed_in.get("/account/password/")
            assert response.status_code == 302
            assert response["Location"].startswith("/account/confirm/?next=/account/password/")

            wrong = signed_in.post(
                "/account/confirm/", {"password": "not it", "next": "/account/password/"}
            )
            assert wrong.status_code == 400
            assert "That password is not right." in wrong.content.decode()
            assert signed_in.get("/account/password/").status_code == 302

            right = signed_in.post(
                "/account/confirm/", {"password": TEST_PASSWORD, "next": "/account/password/"}
            )
            assert right["Location"] == "/account/password/"
            assert signed_in.get("/account/password/").status_code == 200

    def test_a_session_opened_without_a_password_must_confirm_first(self, client_for, consultant):
        client = client_for(consultant)  # e.g. a session older than this rule

        assert client.get("/account/password/")["Location"].startswith("/account/confirm/")
        assert client.get("/account/security/two-factor/setup/")["Location"].startswith(
            "/account/confirm/"
        )

    def test_confirming_never_redirects_to_another_host(self, client_for, consultant):
        response = client_for(consultant).post(
            "/account/confirm/", {"password": TEST_PASSWORD, "next": "https://evil.test/"}
        )

        assert response["Location"] == "/"

    def test_the_decorator_sends_anonymous_visitors_to_sign_in(self, rf):
        from django.contrib.auth.models import AnonymousUser

        request = rf.get("/secret/")
        request.user = AnonymousUser()
        response = reauth_required(lambda request: None)(request)

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/secret/")


class TestPasswordChange:
    def change(self, client, old=TEST_PASSWORD, new=NEW_PASSWORD, again=None):
        return client.post(
            "/account/password/",
            {"old_password": old, "new_password1": new, "new_password2": again or new},
            follow=True,
        )

    def test_changing_the_password_ends_every_other_session_and_keeps_this_one(
        self, tenant, signed_in, consultant
    ):
        laptop = TenantClient(host=host_of(tenant))
        sign_in(laptop, consultant.email)
        assert laptop.get("/").status_code == 200

        response = self.change(signed_in)

        assert "Password changed" in response.content.decode()
        assert signed_in.get("/").status_code == 200
        assert laptop.get("/").status_code == 302
        fresh = TenantClient(host=host_of(tenant))
        assert sign_in(fresh, consultant.email, NEW_PASSWORD).status_code == 302

    def test_a_guessable_new_password_is_refused_and_nothing_changes(
        self, tenant, signed_in, consultant
    ):
        laptop = TenantClient(host=host_of(tenant))
        sign_in(laptop, consultant.email)

        response = self.change(signed_in, new="Passw0rd!")

        assert "This password is too easy to guess." in response.content.decode()
        consultant.refresh_from_db()
        assert consultant.check_password(TEST_PASSWORD)
        assert laptop.get("/").status_code == 200

    def test_a_wrong_current_password_is_refused(self, signed_in, consultant):
        response = self.change(signed_in, old="not it")

        assert "Your old password was entered incorrectly" in response.content.decode()
        consultant.refresh_from_db()
        assert consultant.check_password(TEST_PASSWORD)
