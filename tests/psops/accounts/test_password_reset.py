"""Forgotten passwords: the emailed link, choosing a new password, and links that no longer work."""

import re

import pytest

from tests.conftest import TenantClient, host_of
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

RESET_URL = "/accounts/password-reset/"
NEW_PASSWORD = "lanterns over the harbour 12"
RESET_LINK = re.compile(r"http://(?P<host>[\w.:-]+)(?P<path>/accounts/reset/[\w-]+/[\w-]+/)")


@pytest.fixture
def request_reset(django_capture_on_commit_callbacks):
    def ask(client, email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RESET_URL, {"email": email}, follow=True)

    return ask


def reset_path(message) -> str:
    return RESET_LINK.search(message.body)["path"]


def choose_password(client, path, password=NEW_PASSWORD):
    """Open the emailed link and submit a new password, as a browser would."""
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    return client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
        follow=True,
    )


def without_csrf_token(response) -> str:
    return re.sub(r'"x-csrftoken": "[^"]*"', "", response.content.decode())


def sign_in(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_a_known_address_gets_one_email_whose_link_sets_a_new_password(
    tenant, anonymous_client, consultant, request_reset, mailoutbox
):
    response = request_reset(anonymous_client, consultant.email)

    assert response.redirect_chain[-1][0] == "/accounts/password-reset/sent/"
    assert "Check your email" in response.content.decode()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [consultant.email]
    assert mailoutbox[0].subject == "Choose a new PS Ops password"
    assert RESET_LINK.search(mailoutbox[0].body)["host"] == f"{host_of(tenant)}:8000"

    done = choose_password(anonymous_client, reset_path(mailoutbox[0]))

    assert done.redirect_chain[-1][0] == "/accounts/reset/done/"
    assert "Password saved" in done.content.decode()
    visitor = TenantClient(host=host_of(tenant))
    assert sign_in(visitor, consultant.email, TEST_PASSWORD).status_code == 200
    assert sign_in(visitor, consultant.email, NEW_PASSWORD)["Location"] == "/"
    assert visitor.get("/").status_code == 200


def test_the_address_is_matched_without_regard_to_case(
    anonymous_client, consultant, request_reset, mailoutbox
):
    request_reset(anonymous_client, consultant.email.upper())

    assert [message.to for message in mailoutbox] == [[consultant.email]]


def test_an_unknown_address_gets_no_email_and_the_same_page(
    anonymous_client, consultant, request_reset, mailoutbox
):
    known = request_reset(anonymous_client, consultant.email)
    mailoutbox.clear()

    unknown = request_reset(anonymous_client, "nobody@example.test")

    assert mailoutbox == []
    assert unknown.redirect_chain == known.redirect_chain
    assert without_csrf_token(unknown) == without_csrf_token(known)
    assert "Check your email" in unknown.content.decode()


def test_a_deactivated_person_gets_no_email(
    anonymous_client, consultant, request_reset, mailoutbox
):
    consultant.is_active = False
    consultant.save(update_fields=["is_active"])

    response = request_reset(anonymous_client, consultant.email)

    assert "Check your email" in response.content.decode()
    assert mailoutbox == []


def test_someone_who_never_had_a_password_can_choose_one(
    tenant, anonymous_client, make_user, request_reset, mailoutbox
):
    first_admin = make_user(email="first.admin@acme.test")
    first_admin.set_unusable_password()
    first_admin.save(update_fields=["password"])

    request_reset(anonymous_client, first_admin.email)
    choose_password(anonymous_client, reset_path(mailoutbox[0]))

    first_admin.refresh_from_db()
    assert first_admin.check_password(NEW_PASSWORD)


def test_a_used_link_is_shown_as_expired(
    tenant, anonymous_client, consultant, request_reset, mailoutbox
):
    request_reset(anonymous_client, consultant.email)
    path = reset_path(mailoutbox[0])
    choose_password(anonymous_client, path)

    for client in (anonymous_client, TenantClient(host=host_of(tenant))):
        response = client.get(path, follow=True)
        assert response.status_code == 404  # as every emailed link that no longer works
        assert "This link has expired" in response.content.decode()
        assert "<h1>Choose a new password</h1>" not in response.content.decode()
        assert "<title>This link has expired" in response.content.decode()
        assert 'name="new_password1"' not in response.content.decode()

    consultant.refresh_from_db()
    assert consultant.check_password(NEW_PASSWORD)


def test_an_acme_reset_link_does_nothing_on_globex(
    tenant, other_tenant, anonymous_client, consultant, request_reset, mailoutbox
):
    request_reset(anonymous_client, consultant.email)
    globex = TenantClient(host=host_of(other_tenant))

    response = globex.get(reset_path(mailoutbox[0]), follow=True)

    assert response.status_code == 404
    assert "This link has expired" in response.content.decode()


def test_an_acme_address_asked_on_globex_gets_no_email(
    other_tenant, consultant, request_reset, mailoutbox
):
    globex = TenantClient(host=host_of(other_tenant))

    response = request_reset(globex, consultant.email)

    assert "Check your email" in response.content.decode()
    assert mailoutbox == []
