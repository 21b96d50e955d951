"""The optional second factor: setup, signing in with it, recovery codes, removal, and
an organization requiring it of admins and leaders (psops.accounts.second_factor)."""

import re
import time

import pytest
import time_machine
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from psops.accounts.models import OrganizationSettings, Role
from tests.conftest import TenantClient, host_of
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

SETUP = "/account/security/two-factor/setup/"
REMOVE = "/account/security/two-factor/remove/"
STEP = 30


def code_at(device: TOTPDevice, moment: float) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = moment
    return f"{totp.token():06d}"


def sign_in(client, email, password=TEST_PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password})


def signed_in_client(tenant, user) -> TenantClient:
    client = TenantClient(host=host_of(tenant))
    assert sign_in(client, user.email).status_code == 302
    return client


def enable(client, user) -> list[str]:
    """Set up the app through the pages as the person would; return the recovery codes."""
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": code_at(device, time.time())})
    assert "Your recovery codes" in response.content.decode()
    return re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())


@pytest.fixture
def enrolled(tenant, consultant):
    """The consultant with a second factor; returns their recovery codes."""
    return enable(signed_in_client(tenant, consultant), consultant)


class TestSetup:
    def test_the_page_shows_a_qr_code_and_the_secret_as_text(self, tenant, consultant):
        client = signed_in_client(tenant, consultant)

        page = client.get(SETUP).content.decode()

        assert "<svg" in page
        assert "QR code for your authenticator app" in page
        secret = re.search(r'<code id="totp-secret" class="secret">([A-Z2-7 ]+)</code>', page)[1]
        device = TOTPDevice.objects.get(user=consultant)
        assert secret.replace(" ", "") in device.config_url
        assert not device.confirmed
        # Reloading shows the same secret rather than a new one.
        assert secret in client.get(SETUP).content.decode()

    def test_a_right_code_turns_it_on_and_shows_ten_recovery_codes_once(self, tenant, consultant):
        client = signed_in_client(tenant, consultant)

        codes = enable(client, consultant)

        assert len(codes) == 10
        assert len(set(codes)) == 10
        assert TOTPDevice.objects.get(user=consultant).confirmed
        security = client.get("/account/security/").content.decode()
        assert "On." in security
        assert "10 recovery codes left" in security
        assert not any(code in security for code in codes)

    def test_a_wrong_code_is_refused_and_nothing_is_turned_on(self, tenant, consultant):
        client = signed_in_client(tenant, consultant)
        client.get(SETUP)

        response = client.post(SETUP, {"code": "000000"})

        assert response.status_code == 400
        assert "That code is not right" in response.content.decode()
        assert not TOTPDevice.objects.filter(user=consultant, confirmed=True).exists()
        assert not StaticToken.objects.exists()
        assert sign_in(TenantClient(host=host_of(tenant)), consultant.email)["Location"] == "/"

    def test_everyone_may_set_it_up_and_only_for_themselves(self, tenant, make_user):
        for role in Role.values:
            person = make_user(role)
            client = signed_in_client(tenant, person)
            enable(client, person)
            assert TOTPDevice.objects.filter(user=person, confirmed=True).count() == 1


class TestSigningIn:
    def test_the_password_alone_no_longer_signs_in_a_code_is_asked(
        self, tenant, consultant, enrolled
    ):
        client = TenantClient(host=host_of(tenant))

        response = sign_in(client, consultant.email)

        assert response["Location"] == "/accounts/login/code/"
        assert client.get("/").status_code == 302
        assert "Enter your code" in client.get("/accounts/login/code/").content.decode()

    def test_the_apps_code_signs_in(self, tenant, consultant, enrolled):
        client = TenantClient(host=host_of(tenant))
        sign_in(client, consultant.email)
        device = TOTPDevice.objects.get(user=consultant)

        response = client.post(
            "/accounts/login/code/", {"code": code_at(device, time.time() + STEP)}
        )

        assert response["Location"] == "/"
        assert client.get("/").status_code == 200

    def test_a_wrong_code_does_not_sign_in_and_five_send_back_to_the_password(
        self, tenant, consultant, enrolled
    ):
        client = TenantClient(host=host_of(tenant))
        sign_in(client, consultant.email)

        wrong = client.post("/accounts/login/code/", {"code": "123456"})
        assert wrong.status_code == 400
        assert "That code is not right" in wrong.content.decode()
        assert client.get("/").status_code == 302
        for _ in range(4):
            last = client.post("/accounts/login/code/", {"code": "123456"})

        assert last["Location"] == "/accounts/login/"
        device = TOTPDevice.objects.get(user=consultant)
        right_too_late = client.post(
            "/accounts/login/code/", {"code": code_at(device, time.time() + STEP)}
        )
        assert right_too_late["Location"] == "/accounts/login/"
        assert client.get("/").status_code == 302

    def test_a_recovery_code_signs_in_once(self, tenant, consultant, enrolled):
        first = TenantClient(host=host_of(tenant))
        sign_in(first, consultant.email)
        response = first.post("/accounts/login/code/", {"code": enrolled[0]}, follow=True)
        assert "You signed in with a recovery code; 9 left" in response.content.decode()

        second = TenantClient(host=host_of(tenant))
        sign_in(second, consultant.email)
        again = second.post("/accounts/login/code/", {"code": enrolled[0]})

        assert again.status_code == 400
        assert second.get("/").status_code == 302

    def test_the_code_step_expires(self, tenant, consultant, enrolled):
        client = TenantClient(host=host_of(tenant))
        sign_in(client, consultant.email)
        device = TOTPDevice.objects.get(user=consultant)

        later = time.time() + 6 * 60
        with time_machine.travel(later, tick=False):
            response = client.post("/accounts/login/code/", {"code": code_at(device, later)})

        assert response["Location"] == "/accounts/login/"
        assert client.get("/").status_code == 302

    def test_the_code_page_without_a_password_first_sends_to_sign_in(self, anonymous_client):
        assert anonymous_client.get("/accounts/login/code/")["Location"] == "/accounts/login/"

    def test_the_django_admins_own_sign_in_form_is_not_a_way_around(self, anonymous_client):
        # Not served on an organization's host at all (no admin there).
        assert anonymous_client.get("/admin/login/?next=/admin/").status_code == 404


class TestRemoving:
    def test_it_needs_the_password_and_a_code_and_then_the_password_is_enough(
        self, tenant, consultant, enrolled
    ):
        client = TenantClient(host=host_of(tenant))
        sign_in(client, consultant.email)
        client.post("/accounts/login/code/", {"code": enrolled[0]})

        no_code = client.post(REMOVE, {"password": TEST_PASSWORD, "code": ""})
        wrong_password = client.post(REMOVE, {"password": "nope", "code": enrolled[1]})
        assert no_code.status_code == wrong_password.status_code == 400
        assert "That code is not right" in no_code.content.decode()
        assert "That password is not right." in wrong_password.content.decode()
        assert TOTPDevice.objects.filter(user=consultant).exists()

        done = client.post(REMOVE, {"password": TEST_PASSWORD, "code": enrolled[2]}, follow=True)

        assert "Second factor removed" in done.content.decode()
        assert not TOTPDevice.objects.filter(user=consultant).exists()
        assert not StaticToken.objects.filter(device__user=consultant).exists()
        assert sign_in(TenantClient(host=host_of(tenant)), consultant.email)["Location"] == "/"

    def test_re_authentication_asks_for_the_code_too(self, tenant, consultant, enrolled, settings):
        client = TenantClient(host=host_of(tenant))
        sign_in(client, consultant.email)
        client.post("/accounts/login/code/", {"code": enrolled[0]})

        with time_machine.travel(time.time() + (settings.SESSION_REAUTH_MINUTES + 1) * 60):
            assert client.get("/account/password/").status_code == 302
            password_only = client.post(
                "/account/confirm/", {"password": TEST_PASSWORD, "next": "/account/password/"}
            )
            assert password_only.status_code == 400
            with_code = client.post(
                "/account/confirm/",
                {"password": TEST_PASSWORD, "code": enrolled[1], "next": "/account/password/"},
            )
            assert with_code["Location"] == "/account/password/"


class TestRequiredForAdminsAndLeaders:
    @pytest.fixture
    def required(self, tenant):
        settings_row = OrganizationSettings.current()
        settings_row.second_factor_required = True
        settings_row.save()

    @pytest.mark.parametrize("role", [Role.ADMIN, Role.LEADER])
    def test_those_roles_are_sent_to_set_it_up_before_anything_else(
        self, tenant, make_user, required, role
    ):
        person = make_user(role)
        client = signed_in_client(tenant, person)

        for path in ("/", "/engagements/", "/account/password/"):
            response = client.get(path)
            assert response.status_code == 302
            assert response["Location"] == SETUP
        page = client.get(SETUP).content.decode()
        assert "requires a second factor for your role" in page

        enable(client, person)
        assert client.get("/").status_code == 200

    @pytest.mark.parametrize("role", [Role.CONSULTANT, Role.SALES])
    def test_other_roles_are_not_asked(self, tenant, make_user, required, role):
        client = signed_in_client(tenant, make_user(role))

        assert client.get("/").status_code == 200

    def test_without_the_setting_nobody_is_asked(self, tenant, make_user):
        client = signed_in_client(tenant, make_user(Role.ADMIN))

        assert client.get("/").status_code == 200

    def test_an_admin_turns_the_requirement_on_in_organization_settings(
        self, tenant, admin_user, client_for
    ):
        current = OrganizationSettings.current()
        form = {
            "review_sla_business_days": current.review_sla_business_days,
            "pulse_minimum_group": current.pulse_minimum_group,
            "scaling_horizon_days": current.scaling_horizon_days,
            "followup_escalation_days": current.followup_escalation_days,
            "stale_engagement_days": current.stale_engagement_days,
            "audit_retention_days": current.audit_retention_days,
            "weekly_capacity_hours": current.weekly_capacity_hours,
            "second_factor_required": "on",
        }

        response = client_for(admin_user).post("/settings/organization/", form)

        assert response.status_code == 302
        assert OrganizationSettings.current().second_factor_required
        # The admin who switched it on is next asked to set up their own.
        assert client_for(admin_user).get("/")["Location"] == SETUP
