"""A person changes their own email address, confirmed from both addresses.

Nobody else can: the people pages have no email field (test_account_takeover.py).
The change applies only when the new address (the person reads it) and the old
one (its owner agrees) both confirmed it, before the links expire.
"""

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from psops.accounts import services
from psops.accounts.models import EmailChange, User
from psops.accounts.sessions import VERIFIED_AT_KEY
from tests.conftest import TenantClient, host_of

pytestmark = pytest.mark.django_db

NEW_ADDRESS = "consultant.new@elsewhere.test"
CONFIRM_LINK = re.compile(r"http://acme\.localhost:8000(?P<path>/account/email/confirm/[\w-]+/)")


@pytest.fixture
def verified_browser(tenant, client_for, consultant):
    """The consultant, signed in and having entered their password just now."""
    browser = client_for(consultant)
    session = browser.session
    session[VERIFIED_AT_KEY] = int(time.time())
    session.save()
    return browser


@pytest.fixture
def ask(verified_browser, django_capture_on_commit_callbacks):
    def request_change(address=NEW_ADDRESS):
        with django_capture_on_commit_callbacks(execute=True):
            return verified_browser.post("/account/email/", {"new_email": address}, follow=True)

    return request_change


def link_sent_to(mailoutbox, address) -> str:
    [message] = [m for m in mailoutbox if m.to == [address]]
    return CONFIRM_LINK.search(message.body)["path"]


@pytest.fixture
def follow(tenant, django_capture_on_commit_callbacks):
    """Open a link in a browser that is not signed in and press Confirm."""

    def open_and_confirm(path):
        browser = TenantClient(host=host_of(tenant))
        assert browser.get(path).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post(path)

    return open_and_confirm


class TestAsking:
    def test_the_security_page_offers_it_and_the_form_needs_a_recent_password(
        self, client_for, consultant
    ):
        browser = client_for(consultant)  # signed in, but not just now

        security = browser.get("/account/security/").content.decode()
        assert consultant.email in security
        assert 'href="/account/email/"' in security
        response = browser.get("/account/email/")
        assert response.status_code == 302
        assert response["Location"].startswith("/account/confirm/")

    def test_links_go_to_both_addresses_and_nothing_changes_yet(self, ask, consultant, mailoutbox):
        response = ask()

        page = response.content.decode()
        assert response.redirect_chain[-1][0] == "/account/security/"
        assert f"We sent a confirmation link to {NEW_ADDRESS}" in page
        assert sorted(m.to[0] for m in mailoutbox) == sorted([NEW_ADDRESS, consultant.email])
        assert link_sent_to(mailoutbox, NEW_ADDRESS) != link_sent_to(mailoutbox, consultant.email)
        consultant.refresh_from_db()
        assert consultant.email == "consultant@acme.test"

    def test_the_new_address_is_normalised(self, ask, consultant):
        ask("  Consultant.NEW@Elsewhere.TEST ")

        assert EmailChange.objects.get(user=consultant).new_email == NEW_ADDRESS

    def test_an_address_in_use_is_refused(self, ask, consultant, leader, mailoutbox):
        response = ask(leader.email.upper())

        assert response.status_code == 400
        assert "This email address is already in use." in response.content.decode()
        assert mailoutbox == []
        assert not EmailChange.objects.filter(user=consultant).exists()

    def test_ones_own_address_is_refused(self, ask, consultant):
        response = ask(consultant.email)

        assert response.status_code == 400
        assert "This is already your email address." in response.content.decode()

    def test_a_new_request_replaces_the_open_one(self, ask, consultant, mailoutbox, follow):
        ask("first@elsewhere.test")
        first_link = link_sent_to(mailoutbox, "first@elsewhere.test")
        ask()

        assert EmailChange.objects.filter(user=consultant, cancelled_at__isnull=True).count() == 1
        assert TenantClient(host="acme.localhost").get(first_link).status_code == 404


class TestConfirming:
    def test_both_confirmations_change_the_address_and_both_are_told(
        self, ask, follow, consultant, mailoutbox
    ):
        ask()
        new_link = link_sent_to(mailoutbox, NEW_ADDRESS)
        old_link = link_sent_to(mailoutbox, consultant.email)
        mailoutbox.clear()

        halfway = follow(new_link)
        consultant.refresh_from_db()
        assert consultant.email == "consultant@acme.test"
        assert "Now follow the link sent to consultant@acme.test" in halfway.content.decode()

        done = follow(old_link)

        assert "Email address changed" in done.content.decode()
        consultant.refresh_from_db()
        assert consultant.email == NEW_ADDRESS
        assert sorted(m.to[0] for m in mailoutbox) == sorted([NEW_ADDRESS, "consultant@acme.test"])
        for message in mailoutbox:
            assert f"from consultant@acme.test to {NEW_ADDRESS}" in message.body

    def test_the_order_does_not_matter(self, ask, follow, consultant, mailoutbox):
        ask()
        follow(link_sent_to(mailoutbox, consultant.email))
        follow(link_sent_to(mailoutbox, NEW_ADDRESS))

        consultant.refresh_from_db()
        assert consultant.email == NEW_ADDRESS

    def test_one_address_twice_is_not_both(self, ask, follow, consultant, mailoutbox):
        ask()
        new_link = link_sent_to(mailoutbox, NEW_ADDRESS)
        follow(new_link)
        follow(new_link)

        consultant.refresh_from_db()
        assert consultant.email == "consultant@acme.test"

    def test_opening_a_link_confirms_nothing_without_the_button(
        self, ask, consultant, mailoutbox, tenant
    ):
        ask()
        for address in (NEW_ADDRESS, consultant.email):
            TenantClient(host=host_of(tenant)).get(link_sent_to(mailoutbox, address))

        change = EmailChange.objects.get(user=consultant)
        assert change.new_confirmed_at is None and change.old_confirmed_at is None

    def test_expired_links_change_nothing(self, ask, consultant, mailoutbox, tenant):
        ask()
        links = [link_sent_to(mailoutbox, a) for a in (NEW_ADDRESS, consultant.email)]

        later = timezone.now() + timedelta(hours=services.EMAIL_CHANGE_VALID_HOURS, minutes=1)
        with time_machine.travel(later, tick=False):
            browser = TenantClient(host=host_of(tenant))
            for link in links:
                assert browser.get(link).status_code == 404
                assert browser.post(link).status_code == 404

        consultant.refresh_from_db()
        assert consultant.email == "consultant@acme.test"

    def test_an_address_taken_meanwhile_is_refused_at_the_end(
        self, ask, follow, consultant, make_user, mailoutbox
    ):
        ask()
        follow(link_sent_to(mailoutbox, NEW_ADDRESS))
        make_user(email=NEW_ADDRESS)

        response = follow(link_sent_to(mailoutbox, consultant.email))

        assert response.status_code == 400
        assert "Another account took this email address" in response.content.decode()
        consultant.refresh_from_db()
        assert consultant.email == "consultant@acme.test"

    def test_a_cancelled_change_cannot_be_confirmed(
        self, ask, verified_browser, consultant, mailoutbox, tenant
    ):
        ask()
        verified_browser.post("/account/email/cancel/")

        link = link_sent_to(mailoutbox, NEW_ADDRESS)
        assert TenantClient(host=host_of(tenant)).post(link).status_code == 404

    def test_another_organizations_host_does_not_know_the_link(
        self, ask, consultant, mailoutbox, other_tenant
    ):
        ask()
        link = link_sent_to(mailoutbox, NEW_ADDRESS)

        response = TenantClient(host=host_of(other_tenant)).post(link)

        assert response.status_code == 404


def test_the_service_refuses_a_taken_address_whatever_the_path(consultant, leader):
    with pytest.raises(ValidationError, match="already in use"):
        services.email_change_request(user=consultant, new_email=leader.email)
    assert User.objects.get(pk=consultant.pk).email == "consultant@acme.test"
