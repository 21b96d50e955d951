import pytest
from django.db import connection

from psops.accounts.models import User
from tests.conftest import TenantClient, host_of
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_a_user_signs_in_on_their_own_host_and_lands_home(anonymous_client, consultant):
    response = sign_in(anonymous_client, consultant.email)

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = anonymous_client.get("/")
    assert home.status_code == 200
    assert f"Good to see you, {consultant.display_name}" in home.content.decode()


def test_email_is_matched_without_regard_to_case(anonymous_client, consultant):
    response = sign_in(anonymous_client, consultant.email.upper())

    assert response.status_code == 302


def test_a_wrong_password_is_refused_with_a_message(anonymous_client, consultant):
    response = sign_in(anonymous_client, consultant.email, "not the password")

    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    assert anonymous_client.get("/").status_code == 302


def test_an_acme_user_cannot_sign_in_on_globex(tenant, other_tenant, consultant):
    globex = TenantClient(host=host_of(other_tenant))

    response = sign_in(globex, consultant.email)

    assert response.status_code == 200
    assert "do not match an active account" in response.content.decode()
    assert globex.get("/").status_code == 302


def test_an_acme_session_cookie_is_anonymous_on_globex(
    tenant, other_tenant, consultant, client_for
):
    acme = client_for(consultant)
    assert acme.get("/").status_code == 200

    globex = TenantClient(host=host_of(other_tenant))
    globex.cookies = acme.cookies
    response = globex.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_unknown_host_is_404(db):
    response = TenantClient(host="nobody.localhost").get("/")

    assert response.status_code == 404


def test_public_host_shows_the_landing_page_and_no_tenant_pages(db):
    public = TenantClient(host="localhost")

    landing = public.get("/")
    assert landing.status_code == 200
    assert "Ask your admin for an invitation" in landing.content.decode()
    assert public.get("/settings/users/").status_code == 404
    assert public.get("/accounts/login/").status_code == 404


def test_a_deactivated_user_cannot_sign_in(anonymous_client, consultant):
    consultant.is_active = False
    consultant.save()

    response = sign_in(anonymous_client, consultant.email)

    assert response.status_code == 200
    assert anonymous_client.get("/").status_code == 302


def test_sign_out_ends_the_session(client_for, consultant):
    client = client_for(consultant)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_passwords_are_hashed_with_argon2(tenant):
    user = User.objects.create_user(email="new@acme.test", password="a long passphrase 42")

    assert user.password.startswith("argon2")
    assert user.check_password("a long passphrase 42")


class TestThrottling:
    def test_repeated_failures_lock_the_address_even_with_the_right_password(
        self, anonymous_client, consultant, settings
    ):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(anonymous_client, consultant.email, "wrong")

        response = sign_in(anonymous_client, consultant.email)

        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.content.decode()
        assert anonymous_client.get("/").status_code == 302

    def test_failures_below_the_limit_do_not_lock(self, anonymous_client, consultant, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            sign_in(anonymous_client, consultant.email, "wrong")

        assert sign_in(anonymous_client, consultant.email).status_code == 302

    def test_a_lock_in_one_tenant_does_not_lock_the_same_address_in_another(
        self, tenant, other_tenant, settings
    ):
        acme = TenantClient(host=host_of(tenant))
        UserFactory(email="shared@example.test")
        connection.set_tenant(other_tenant)
        UserFactory(email="shared@example.test")
        connection.set_tenant(tenant)
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(acme, "shared@example.test", "wrong")
        assert sign_in(acme, "shared@example.test").status_code == 429

        globex = TenantClient(host=host_of(other_tenant))
        assert sign_in(globex, "shared@example.test").status_code == 302
