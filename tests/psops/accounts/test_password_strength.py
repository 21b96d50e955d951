"""New passwords must be hard to guess, wherever one is chosen (psops.accounts.passwords)."""

import re

import pytest
from django.core.exceptions import ValidationError

from psops.accounts.models import User
from psops.accounts.passwords import GuessabilityValidator
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

GUESSABLE = ["Passw0rd!", "Summer2026!", "qwerty123456", "Acme2026!"]
MESSAGE = "This password is too easy to guess."


@pytest.mark.parametrize("password", GUESSABLE)
def test_guessable_passwords_are_refused_with_a_reason(password):
    with pytest.raises(ValidationError) as refused:
        GuessabilityValidator().validate(password, User(email="nina@acme.test"))

    assert refused.value.messages[0].startswith(MESSAGE)
    assert len(refused.value.messages[0]) > len(MESSAGE)  # says why, or what would help


def test_the_persons_own_name_and_address_count_as_guessable():
    person = User(email="nina.newcomer@acme.test", full_name="Nina Newcomer")

    with pytest.raises(ValidationError):
        GuessabilityValidator().validate("Newcomer2026!", person)


@pytest.mark.parametrize("password", [TEST_PASSWORD, "plum orchard at dusk 47"])
def test_a_few_unrelated_words_are_accepted(password):
    GuessabilityValidator().validate(password, User(email="nina@acme.test"))


def test_accepting_an_invitation_with_a_guessable_password_is_refused(
    client_for, admin_user, anonymous_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(admin_user).post(
            "/settings/users/invite/", {"email": "nina@example.test", "role": "consultant"}
        )
    path = re.search(r"/invitations/[\w-]+/", mailoutbox[0].body)[0]

    response = anonymous_client.post(
        path,
        {
            "full_name": "Nina",
            "time_zone": "UTC",
            "password1": "Passw0rd!",
            "password2": "Passw0rd!",
        },
    )

    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert not User.objects.filter(email="nina@example.test").exists()


def test_a_password_reset_to_a_guessable_password_is_refused(
    anonymous_client, consultant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        anonymous_client.post("/accounts/password-reset/", {"email": consultant.email})
    link = re.search(r"/accounts/reset/[\w-]+/[\w-]+/", mailoutbox[0].body)[0]
    form_page = anonymous_client.get(link, follow=True)

    response = anonymous_client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Passw0rd!", "new_password2": "Passw0rd!"},
    )

    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    consultant.refresh_from_db()
    assert consultant.check_password(TEST_PASSWORD)
