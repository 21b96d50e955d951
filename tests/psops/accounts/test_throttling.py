"""Failed sign-ins are counted per account and per client address (psops.accounts.throttling)."""

import pytest

from psops.accounts.throttling import client_ip
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=TEST_PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def is_signed_in(client) -> bool:
    return client.get("/").status_code == 200


def case_variants(email: str, count: int) -> list[str]:
    """``count`` different spellings of one address, differing only in letter case."""
    variants, bits = [], 0
    while len(variants) < count:
        spelled = "".join(
            char.upper() if (bits >> index) & 1 else char for index, char in enumerate(email)
        )
        if spelled not in variants:
            variants.append(spelled)
        bits += 1
    return variants


def test_changing_the_letter_case_of_the_email_does_not_restart_the_count(
    anonymous_client, consultant, settings
):
    settings.AXES_FAILURE_LIMIT = 5
    for variant in case_variants(consultant.email, 8):
        for _ in range(4):
            sign_in(anonymous_client, variant, "wrong password")

    response = sign_in(anonymous_client, consultant.email)

    assert response.status_code == 429
    assert not is_signed_in(anonymous_client)


def test_guessing_one_accounts_password_from_many_addresses_locks_the_account(
    anonymous_client, consultant, settings
):
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(anonymous_client, consultant.email, "wrong", REMOTE_ADDR=f"198.51.100.{number}")

    response = sign_in(anonymous_client, consultant.email, REMOTE_ADDR="203.0.113.50")

    assert response.status_code == 429
    assert not is_signed_in(anonymous_client)


def test_spraying_one_password_across_many_accounts_from_one_client_is_throttled(
    anonymous_client, settings
):
    people = [UserFactory() for _ in range(settings.AXES_FAILURE_LIMIT + 1)]
    for person in people[:-1]:
        sign_in(anonymous_client, person.email, "Summer2026!")

    # Even the right password of an account not yet tried is refused from that client.
    response = sign_in(anonymous_client, people[-1].email)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not is_signed_in(anonymous_client)


class TestBehindATrustedProxy:
    PROXY = "10.0.0.2"

    def via_proxy(self, client_address: str) -> dict:
        return {"REMOTE_ADDR": self.PROXY, "HTTP_X_FORWARDED_FOR": client_address}

    def test_one_clients_failures_do_not_lock_out_the_others(
        self, anonymous_client, tenant, consultant, settings, make_user
    ):
        settings.TRUSTED_PROXY_COUNT = 1
        attacker = self.via_proxy("198.51.100.66")
        for person in [make_user() for _ in range(settings.AXES_FAILURE_LIMIT)]:
            sign_in(anonymous_client, person.email, "wrong", **attacker)
        assert sign_in(anonymous_client, consultant.email, **attacker).status_code == 429

        colleague = self.via_proxy("203.0.113.7")
        response = sign_in(anonymous_client, consultant.email, **colleague)

        assert response.status_code == 302
        assert is_signed_in(anonymous_client)

    def test_a_forged_forwarded_for_entry_does_not_escape_the_count(
        self, anonymous_client, settings, make_user
    ):
        settings.TRUSTED_PROXY_COUNT = 1
        people = [make_user() for _ in range(settings.AXES_FAILURE_LIMIT + 1)]
        for number, person in enumerate(people[:-1]):
            # The client makes up a new left-most entry each time; our proxy appends the truth.
            forged = self.via_proxy(f"192.0.2.{number}, 198.51.100.66")
            sign_in(anonymous_client, person.email, "wrong", **forged)

        response = sign_in(
            anonymous_client, people[-1].email, **self.via_proxy("192.0.2.99, 198.51.100.66")
        )

        assert response.status_code == 429


class TestClientAddress:
    def request(self, rf, **meta):
        return rf.get("/", **meta)

    def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(self, rf, settings):
        settings.TRUSTED_PROXY_COUNT = 0
        request = self.request(rf, REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="192.0.2.9")

        assert client_ip(request) == "198.51.100.1"

    def test_with_two_proxies_the_entry_two_from_the_right_is_the_client(self, rf, settings):
        settings.TRUSTED_PROXY_COUNT = 2
        request = self.request(
            rf,
            REMOTE_ADDR="10.0.0.3",
            HTTP_X_FORWARDED_FOR="192.0.2.9, 198.51.100.1, 10.0.0.2",
        )

        assert client_ip(request) == "198.51.100.1"

    def test_a_missing_or_garbled_header_falls_back_to_the_connection(self, rf, settings):
        settings.TRUSTED_PROXY_COUNT = 1

        assert client_ip(self.request(rf, REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
        garbled = self.request(rf, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
        assert client_ip(garbled) == "10.0.0.2"
