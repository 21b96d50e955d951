"""Inviting people: from the admin's form, through the emailed link, to signing in."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from psops.accounts.models import Invitation, Role, User
from psops.outbox.models import OutboundEmail
from tests.conftest import TenantClient, host_of

pytestmark = pytest.mark.django_db

INVITE_URL = "/settings/users/invite/"
USERS_URL = "/settings/users/"
NEW_PASSWORD = "plum orchard at dusk 47"
ACCEPT_LINK = re.compile(r"http://(?P<host>[\w.:-]+)(?P<path>/invitations/[\w-]+/)")


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def invite(admin_client, django_capture_on_commit_callbacks, mailoutbox):
    """Invite ``email`` as the admin; return the response and the emailed link's path."""

    def send(email: str = "new.person@example.test", role: str = Role.CONSULTANT, client=None):
        sent_before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = (client or admin_client).post(INVITE_URL, {"email": email, "role": role})
        new_mail = mailoutbox[sent_before:]
        link = ACCEPT_LINK.search(new_mail[0].body) if new_mail else None
        return response, (link["path"] if link else None)

    return send


def accept(client, path, *, password1=NEW_PASSWORD, password2=NEW_PASSWORD, **fields):
    data = {"full_name": "Nina Newcomer", "time_zone": "Asia/Tokyo"} | fields
    return client.post(path, data | {"password1": password1, "password2": password2})


def sign_in(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def assert_link_not_valid(response):
    assert response.status_code == 404
    assert "This invitation is not valid" in response.content.decode()


class TestTheWholeFlow:
    def test_an_invited_person_joins_with_their_role_and_can_sign_in_later(
        self, tenant, admin_user, invite, mailoutbox
    ):
        response, path = invite("Nina@Example.test", Role.LEADER)

        assert response.status_code == 302
        assert response["Location"] == USERS_URL
        assert len(mailoutbox) == 1
        email = mailoutbox[0]
        assert email.to == ["nina@example.test"]
        assert email.subject == f"{admin_user.display_name} invited you to PS Ops"
        assert "as PS leader" in email.body
        assert ACCEPT_LINK.search(email.body)["host"] == f"{host_of(tenant)}:8000"

        visitor = TenantClient(host=host_of(tenant))
        page = visitor.get(path)
        assert page.status_code == 200
        assert "Join Acme Corp" in page.content.decode()
        assert "nina@example.test" in page.content.decode()

        response = accept(visitor, path)

        assert response.status_code == 302
        assert response["Location"] == "/"
        home = visitor.get("/").content.decode()
        assert "Welcome to Acme Corp, Nina Newcomer." in home
        assert '<span class="role-badge">PS leader</span>' in home
        assert "PS dashboard" in home
        user = User.objects.get(email="nina@example.test")
        assert (user.role, user.full_name, user.time_zone) == (
            Role.LEADER,
            "Nina Newcomer",
            "Asia/Tokyo",
        )
        invitation = Invitation.objects.get(email="nina@example.test")
        assert invitation.accepted_user == user
        assert invitation.accepted_at is not None

        visitor.post("/accounts/logout/")
        assert visitor.get("/").status_code == 302
        assert sign_in(visitor, "nina@example.test", NEW_PASSWORD)["Location"] == "/"
        assert visitor.get("/").status_code == 200

    def test_the_admin_sees_a_confirmation_and_the_pending_invitation(self, admin_client, invite):
        invite("pending.person@example.test")

        page = admin_client.get(USERS_URL).content.decode()

        assert "Invitation sent to pending.person@example.test." in page
        assert "<strong>pending.person@example.test</strong>" in page

    def test_the_token_is_stored_only_as_a_hash(self, invite):
        _, path = invite("hashed@example.test")
        token = path.split("/")[2]

        row = Invitation.objects.filter(email="hashed@example.test").values().get()

        assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
        assert not any(token in str(value) for value in row.values())


class TestRefusedInvitations:
    def test_a_second_invitation_while_one_is_pending_is_refused(self, invite, mailoutbox):
        invite("twice@example.test")

        response, path = invite("TWICE@example.test", Role.ADMIN)

        assert response.status_code == 400
        assert "An invitation to this address is already pending" in response.content.decode()
        assert path is None
        assert len(mailoutbox) == 1
        assert Invitation.objects.filter(email="twice@example.test").count() == 1
        assert Invitation.objects.get(email="twice@example.test").role == Role.CONSULTANT

    def test_an_existing_users_email_is_refused(self, invite, consultant, mailoutbox):
        response, _ = invite(consultant.email.upper())

        assert response.status_code == 400
        assert "already has an account" in response.content.decode()
        assert not Invitation.objects.exists()
        assert mailoutbox == []

    def test_an_expired_invitation_does_not_block_a_new_one(self, invite):
        _, old_path = invite("late@example.test")
        Invitation.objects.filter(email="late@example.test").update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )

        response, new_path = invite("late@example.test")

        assert response.status_code == 302
        assert new_path is not None
        assert new_path != old_path
        assert Invitation.objects.filter(email="late@example.test", revoked_at=None).count() == 1

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
    def test_only_admins_may_invite(self, invite, client_for, make_user, mailoutbox, role):
        response, _ = invite("sneaky@example.test", client=client_for(make_user(role)))

        assert response.status_code == 403
        assert not Invitation.objects.exists()
        assert mailoutbox == []


class TestAcceptingALink:
    @pytest.fixture
    def link(self, invite):
        return invite("joiner@example.test", Role.SALES)[1]

    def test_mismatched_passwords_are_a_field_error_and_create_nobody(self, anonymous_client, link):
        response = accept(anonymous_client, link, password2="plum orchard at dawn 47")

        assert response.status_code == 400
        assert response.context["form"].errors["password2"] == ["The two passwords do not match."]
        assert not User.objects.filter(email="joiner@example.test").exists()
        assert anonymous_client.get("/").status_code == 302
        assert anonymous_client.get(link).status_code == 200

    @pytest.mark.parametrize(
        ("password", "complaint"),
        [
            ("password", "This password is too common."),
            ("83920175", "This password is entirely numeric."),
            ("joiner@example", "The password is too similar to the email address."),
        ],
    )
    def test_weak_passwords_are_a_field_error_and_create_nobody(
        self, anonymous_client, link, password, complaint
    ):
        response = accept(anonymous_client, link, password1=password, password2=password)

        assert response.status_code == 400
        assert complaint in response.context["form"].errors["password1"]
        assert complaint in response.content.decode()
        assert not User.objects.filter(email="joiner@example.test").exists()

    def test_an_expired_link_is_not_valid(self, anonymous_client, link):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert_link_not_valid(anonymous_client.get(link))
        assert_link_not_valid(accept(anonymous_client, link))
        assert not User.objects.filter(email="joiner@example.test").exists()

    def test_a_revoked_link_is_not_valid(self, admin_client, anonymous_client, link):
        invitation = Invitation.objects.get()
        admin_client.post(f"/settings/invitations/{invitation.pk}/revoke/")

        assert_link_not_valid(anonymous_client.get(link))
        assert_link_not_valid(accept(anonymous_client, link))
        assert not User.objects.filter(email="joiner@example.test").exists()

    def test_a_used_link_is_not_valid(self, tenant, anonymous_client, link):
        assert accept(anonymous_client, link).status_code == 302

        someone_else = TenantClient(host=host_of(tenant))
        assert_link_not_valid(someone_else.get(link))
        assert_link_not_valid(accept(someone_else, link, full_name="Impostor"))
        assert User.objects.get(email="joiner@example.test").full_name == "Nina Newcomer"

    def test_a_made_up_token_is_not_valid(self, anonymous_client, link):
        assert_link_not_valid(anonymous_client.get("/invitations/not-a-real-token/"))

    def test_an_acme_link_is_404_on_the_globex_host(self, tenant, other_tenant, link):
        globex = TenantClient(host=host_of(other_tenant))

        assert_link_not_valid(globex.get(link))
        assert_link_not_valid(accept(globex, link))
        assert globex.get("/").status_code == 302
        # Still good where it belongs.
        assert TenantClient(host=host_of(tenant)).get(link).status_code == 200


class TestRevoking:
    @pytest.fixture
    def invitation(self, invite):
        invite("maybe@example.test")
        return Invitation.objects.get(email="maybe@example.test")

    def test_an_admin_revokes_a_pending_invitation(self, admin_client, invitation):
        response = admin_client.post(f"/settings/invitations/{invitation.pk}/revoke/", follow=True)

        page = response.content.decode()
        assert response.status_code == 200
        assert "Invitation for maybe@example.test revoked." in page
        assert "No invitations waiting." in page
        invitation.refresh_from_db()
        assert invitation.revoked_at is not None

    def test_revoking_twice_says_so_and_changes_nothing(self, admin_client, invitation):
        url = f"/settings/invitations/{invitation.pk}/revoke/"
        admin_client.post(url)
        invitation.refresh_from_db()
        first_revoked_at = invitation.revoked_at

        response = admin_client.post(url, follow=True)

        assert "already accepted or revoked" in response.content.decode()
        invitation.refresh_from_db()
        assert invitation.revoked_at == first_revoked_at

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
    def test_only_admins_may_revoke(self, client_for, make_user, invitation, role):
        response = client_for(make_user(role)).post(
            f"/settings/invitations/{invitation.pk}/revoke/"
        )

        assert response.status_code == 403
        invitation.refresh_from_db()
        assert invitation.is_pending

    def test_another_tenants_invitation_id_is_404(self, tenant, other_tenant, client_for):
        # An id that exists in acme only, so a 404 on globex means "not there", not "not found".
        invitation = Invitation.objects.create(
            pk=987_654_321,
            email="acme.only@example.test",
            role=Role.CONSULTANT,
            token_hash="0" * 64,
            expires_at=timezone.now() + timedelta(days=7),
        )
        connection.set_tenant(other_tenant)
        globex_admin = User.objects.get(email="owner@globex.test")
        connection.set_tenant(tenant)
        globex = client_for(globex_admin, organization=other_tenant)

        response = globex.post(f"/settings/invitations/{invitation.pk}/revoke/")

        assert response.status_code == 404
        invitation.refresh_from_db()
        assert invitation.is_pending


class TestSendingAgain:
    """An invitation whose email never arrived can always be sent again."""

    @pytest.fixture
    def unsent(self, admin_client, django_capture_on_commit_callbacks, mailoutbox, settings):
        # The email is due but its first try failed: the outbox holds it, unsent.
        settings.EMAIL_BACKEND = "tests.psops.accounts.test_invitations.RefusingBackend"
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(INVITE_URL, {"email": "lost@example.test", "role": Role.SALES})
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        invitation = Invitation.objects.get(email="lost@example.test")
        assert OutboundEmail.objects.get(purpose=f"invitation:{invitation.pk}").sent_at is None
        return invitation

    def test_the_list_says_the_email_was_not_sent(self, admin_client, unsent):
        page = admin_client.get(USERS_URL).content.decode()

        assert "email not sent yet: 1 try failed" in page
        assert f"/settings/invitations/{unsent.pk}/resend/" in page

    def test_sending_again_gives_one_working_link_and_withdraws_the_lost_email(
        self, admin_client, anonymous_client, unsent, django_capture_on_commit_callbacks, mailoutbox
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(f"/settings/invitations/{unsent.pk}/resend/", follow=True)

        assert "Invitation sent again to lost@example.test" in response.content.decode()
        assert [mail.to for mail in mailoutbox] == [["lost@example.test"]]
        path = ACCEPT_LINK.search(mailoutbox[0].body)["path"]
        fresh = Invitation.objects.get(email="lost@example.test", revoked_at__isnull=True)
        assert fresh.role == Role.SALES
        unsent.refresh_from_db()
        assert unsent.revoked_at is not None
        # The first email will never arrive with a dead link: it is withdrawn.
        assert not OutboundEmail.objects.filter(purpose=f"invitation:{unsent.pk}").exists()
        assert OutboundEmail.objects.get(purpose=f"invitation:{fresh.pk}").sent_at is not None
        assert anonymous_client.get(path).status_code == 200
        assert "email sent" in admin_client.get(USERS_URL).content.decode()

    def test_an_expired_invitation_can_be_sent_again(
        self, admin_client, unsent, django_capture_on_commit_callbacks, mailoutbox
    ):
        Invitation.objects.filter(pk=unsent.pk).update(expires_at=timezone.now())

        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(f"/settings/invitations/{unsent.pk}/resend/")

        assert len(mailoutbox) == 1
        assert Invitation.objects.get(email="lost@example.test", revoked_at__isnull=True).is_usable

    def test_an_accepted_or_revoked_invitation_is_not_sent_again(
        self, admin_client, unsent, mailoutbox
    ):
        admin_client.post(f"/settings/invitations/{unsent.pk}/revoke/")

        response = admin_client.post(f"/settings/invitations/{unsent.pk}/resend/", follow=True)

        assert "already accepted or revoked" in response.content.decode()
        assert Invitation.objects.filter(email="lost@example.test").count() == 1
        assert mailoutbox == []

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
    def test_only_admins_may_send_again(self, client_for, make_user, unsent, role, mailoutbox):
        response = client_for(make_user(role)).post(f"/settings/invitations/{unsent.pk}/resend/")

        assert response.status_code == 403
        assert Invitation.objects.filter(email="lost@example.test").count() == 1
        unsent.refresh_from_db()
        assert unsent.is_pending


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")
