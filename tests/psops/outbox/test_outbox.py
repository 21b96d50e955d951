"""Every email is owed in the transaction that causes it and delivered, eventually."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from psops.accounts.models import Role, User
from psops.mail import email_send_after_commit
from psops.outbox import services
from psops.outbox.models import MAX_ATTEMPTS, OutboundEmail, backoff

pytestmark = pytest.mark.django_db

INVITE_URL = "/settings/users/invite/"
OUTBOX_URL = "/settings/email/"


def owe(**fields) -> None:
    email_send_after_commit(
        to=fields.get("to", ["ada@example.test"]),
        subject_template="notifications/email_subject.txt",
        body_template="notifications/email_body.txt",
        context={"title": fields.get("title", "A risk"), "body": "Body", "url": ""},
    )


def test_an_email_is_owed_with_its_change_and_sent_after_commit(
    tenant, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        owe(title="Scaling wall ahead")
        assert mailoutbox == []  # nothing leaves before the commit

    email = OutboundEmail.objects.get()
    assert [m.subject for m in mailoutbox] == [email.subject]
    assert "Scaling wall ahead" in email.subject
    assert email.sent_at is not None
    assert email.body == ""  # it may have held a one-time link


def test_a_rolled_back_change_owes_no_email(tenant, django_capture_on_commit_callbacks, mailoutbox):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        owe()
        raise RuntimeError("the change failed")

    assert not OutboundEmail.objects.exists()
    assert mailoutbox == []


def test_with_the_broker_down_the_invitation_succeeds_and_its_email_follows(
    client_for, admin_user, broker_down, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user).post(
            INVITE_URL, {"email": "new.person@example.test", "role": Role.CONSULTANT}
        )

    # The admin gets the normal answer at once; the email is owed, not lost.
    assert response.status_code == 302
    email = OutboundEmail.objects.get()
    assert email.sent_at is None and mailoutbox == []

    assert services.outbox_sweep() == 1  # what beat runs every minute

    assert [m.to for m in mailoutbox] == [["new.person@example.test"]]
    assert "/invitations/" in mailoutbox[0].body
    assert services.outbox_sweep() == 0  # sent once


def test_a_refused_send_is_retried_with_growing_pauses(tenant, mail_server_down, mailoutbox):
    owe()
    email = OutboundEmail.objects.get()

    assert services.outbox_deliver(email_id=email.pk) is False
    email.refresh_from_db()
    assert email.attempts == 1
    assert "mail server unavailable" in email.last_error
    assert email.next_attempt_at > timezone.now()
    assert services.outbox_sweep() == 0  # not due again yet
    assert backoff(1) < backoff(2) < backoff(3) <= timedelta(hours=6)


def test_after_the_last_try_it_waits_for_an_admin(tenant, mail_server_down):
    owe()
    email = OutboundEmail.objects.get()
    for _ in range(MAX_ATTEMPTS):
        OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        services.outbox_sweep()
    email.refresh_from_db()

    assert email.attempts == MAX_ATTEMPTS and email.gave_up
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    services.outbox_sweep()
    email.refresh_from_db()
    assert email.attempts == MAX_ATTEMPTS  # no longer retried by itself


def test_an_email_sent_once_is_not_sent_again(tenant, mailoutbox):
    owe()
    email = OutboundEmail.objects.get()

    assert services.outbox_deliver(email_id=email.pk) is True
    assert services.outbox_deliver(email_id=email.pk) is False
    assert services.outbox_sweep(now=timezone.now() + timedelta(days=1)) == 0
    assert len(mailoutbox) == 1


def test_a_batch_goes_over_one_connection_to_the_mail_server(tenant, mailoutbox, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    opened = []
    real_open = EmailBackend.open

    def counted_open(self):
        opened.append(self)
        return real_open(self)

    monkeypatch.setattr(EmailBackend, "open", counted_open)
    for n in range(3):
        owe(title=f"Risk {n}")
    ids = list(OutboundEmail.objects.values_list("id", flat=True))

    assert services.outbox_deliver_batch(email_ids=ids) == 3
    assert len(mailoutbox) == 3
    assert len(opened) == 1
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()


def test_a_batch_the_mail_server_refuses_is_due_again_email_by_email(tenant, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self):
        raise OSError("connection refused")

    monkeypatch.setattr(EmailBackend, "open", refuse)
    monkeypatch.setattr(EmailBackend, "send_messages", lambda self, messages: refuse(self))
    for n in range(2):
        owe(title=f"Risk {n}")
    ids = list(OutboundEmail.objects.values_list("id", flat=True))

    assert services.outbox_deliver_batch(email_ids=ids) == 0
    assert list(OutboundEmail.objects.values_list("attempts", flat=True)) == [1, 1]
    assert all(
        "connection refused" in e
        for e in OutboundEmail.objects.values_list("last_error", flat=True)
    )


class TestTheDeliveryPage:
    def failed(self, subject_title: str = "Reset your password") -> OutboundEmail:
        owe(title=subject_title, to=["grace@example.test"])
        email = OutboundEmail.objects.latest("id")
        OutboundEmail.objects.filter(pk=email.pk).update(
            attempts=MAX_ATTEMPTS, last_error="SMTPConnectError: 421"
        )
        return email

    def test_an_admin_sees_what_failed_without_its_body_and_retries_it(
        self, client_for, admin_user, django_capture_on_commit_callbacks, mailoutbox
    ):
        email = self.failed()
        client = client_for(admin_user)

        page = client.get(OUTBOX_URL).content.decode()
        assert "Reset your password" in page and "grace@example.test" in page
        assert "SMTPConnectError: 421" in page
        assert email.body not in page  # bodies may hold someone's one-time link

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{OUTBOX_URL}{email.pk}/retry/", follow=True)

        assert "again" in response.content.decode()
        email.refresh_from_db()
        assert email.sent_at is not None
        assert [m.to for m in mailoutbox] == [["grace@example.test"]]

    def test_nothing_failing_says_so(self, client_for, admin_user):
        owe()  # owed, not failed
        page = client_for(admin_user).get(OUTBOX_URL).content.decode()

        assert "Every email so far was delivered or is on its first try." in page
        assert "1 email on the way" in page

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
    def test_other_roles_may_not_see_or_retry(self, client_for, make_user, role):
        email = self.failed()
        client = client_for(make_user(role))

        assert client.get(OUTBOX_URL).status_code == 403
        assert client.post(f"{OUTBOX_URL}{email.pk}/retry/").status_code == 403
        email.refresh_from_db()
        assert email.attempts == MAX_ATTEMPTS

    def test_another_organizations_admin_sees_nothing_of_ours(
        self, client_for, other_tenant, tenant
    ):
        email = self.failed()
        connection.set_tenant(other_tenant)
        globex_owner = User.objects.get(email="owner@globex.test")  # globex's admin
        connection.set_tenant(tenant)
        client = client_for(globex_owner, organization=other_tenant)

        assert "Reset your password" not in client.get(OUTBOX_URL).content.decode()
        assert client.post(f"{OUTBOX_URL}{email.pk}/retry/").status_code == 404
