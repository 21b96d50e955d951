"""One spelling of an email address at every entry point (psops.accounts.emails)."""

import pytest

from psops.accounts.emails import email_normalize
from psops.accounts.models import Invitation, User

pytestmark = pytest.mark.django_db


def full_width(text: str) -> str:
    """``text`` in full-width letters, as some East Asian keyboard layouts type them."""
    return "".join(
        chr(ord(char) + 0xFEE0) if char.isascii() and char.isalpha() else char for char in text
    )


# The consultant fixture's address, spelled as people (and their keyboards) do.
SPELLINGS = [
    "CONSULTANT@acme.test",
    "  Consultant@Acme.Test ",
    f"consultant@{full_width('ACME')}.test",
]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (" Ann.Lee@Example.TEST ", "ann.lee@example.test"),
        (f"ann@{full_width('EXAMPLE')}.test", "ann@example.test"),
        ("", ""),
        (None, ""),
    ],
)
def test_an_address_has_one_normal_form(raw, normal):
    assert email_normalize(raw) == normal


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_sign_in_accepts_any_spelling_of_the_address(anonymous_client, consultant, spelling):
    response = anonymous_client.post(
        "/accounts/login/", {"username": spelling, "password": "correct horse battery staple"}
    )

    assert response.status_code == 302
    assert anonymous_client.get("/").status_code == 200


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_an_invitation_to_another_spelling_of_a_members_address_is_refused(
    client_for, admin_user, consultant, spelling, mailoutbox
):
    response = client_for(admin_user).post(
        "/settings/users/invite/", {"email": spelling, "role": "consultant"}
    )

    assert response.status_code == 400
    assert "already has an account" in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_invitation_is_stored_in_the_normal_form(client_for, admin_user):
    client_for(admin_user).post(
        "/settings/users/invite/",
        {"email": f" New.Person@{full_width('EXAMPLE')}.test", "role": "sales"},
    )

    assert list(Invitation.objects.values_list("email", flat=True)) == ["new.person@example.test"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_password_reset_finds_the_account_under_any_spelling(
    anonymous_client, consultant, spelling, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        anonymous_client.post("/accounts/password-reset/", {"email": spelling})

    assert [message.to for message in mailoutbox] == [[consultant.email]]


def test_an_account_is_created_with_the_normal_form(tenant):
    user = User.objects.create_user(
        email=f" Mixed.Case@{full_width('EXAMPLE')}.test ", password=None
    )

    assert user.email == "mixed.case@example.test"
