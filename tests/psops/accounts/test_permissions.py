"""``role_required``: who gets in, who gets 403, who is sent to sign in."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from psops.accounts.models import Role
from psops.accounts.permissions import SERVICES_ROLES, role_required

pytestmark = pytest.mark.django_db

ROLES = list(Role)
PAGE_PATH = "/somewhere/private/"


def _page(request):
    return HttpResponse("the page")


def _request_as(user):
    request = RequestFactory(HTTP_HOST="acme.localhost").get(PAGE_PATH)
    request.user = user
    return request


@pytest.fixture
def user_with_role(make_user):
    return lambda role: make_user(role)


class TestTheDecoratorAlone:
    @pytest.mark.parametrize("role", ROLES)
    def test_a_page_for_one_role_lets_that_role_in(self, user_with_role, role):
        view = role_required(role)(_page)

        response = view(_request_as(user_with_role(role)))

        assert response.status_code == 200
        assert response.content == b"the page"

    @pytest.mark.parametrize(
        ("allowed", "visitor"),
        [(allowed, visitor) for allowed in ROLES for visitor in ROLES if visitor != allowed],
    )
    def test_a_page_for_one_role_denies_every_other_role(self, user_with_role, allowed, visitor):
        view = role_required(allowed)(_page)

        with pytest.raises(PermissionDenied):
            view(_request_as(user_with_role(visitor)))

    @pytest.mark.parametrize("role", ROLES)
    def test_a_page_for_several_roles_admits_exactly_those(self, user_with_role, role):
        view = role_required(*SERVICES_ROLES)(_page)
        request = _request_as(user_with_role(role))

        if role == Role.SALES:
            with pytest.raises(PermissionDenied):
                view(request)
        else:
            assert view(request).status_code == 200

    def test_anonymous_visitors_are_sent_to_sign_in_and_back(self):
        view = role_required(Role.CONSULTANT)(_page)

        response = view(_request_as(AnonymousUser()))

        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={PAGE_PATH}"

    def test_an_inactive_user_is_treated_as_anonymous(self, make_user):
        inactive = make_user(Role.ADMIN, is_active=False)
        view = role_required(Role.ADMIN)(_page)

        response = view(_request_as(inactive))

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_no_roles_is_a_programming_error(self):
        with pytest.raises(ValueError, match="at least one role"):
            role_required()

    @pytest.mark.parametrize("roles", [("manager",), (Role.ADMIN, "root")])
    def test_unknown_roles_are_a_programming_error(self, roles):
        with pytest.raises(ValueError, match="unknown roles"):
            role_required(*roles)


class TestThroughTheUserListPage:
    """The real admin-only page, through the middleware on the tenant's host."""

    URL = "/settings/users/"

    def test_an_admin_sees_it(self, client_for, admin_user):
        response = client_for(admin_user).get(self.URL)

        assert response.status_code == 200
        assert "<h1>Users</h1>" in response.content.decode()

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
    def test_other_roles_get_403(self, client_for, make_user, role):
        response = client_for(make_user(role)).get(self.URL)

        assert response.status_code == 403
        assert "Your role does not give access to this page" in response.content.decode()

    def test_anonymous_visitors_are_sent_to_sign_in(self, anonymous_client):
        response = anonymous_client.get(self.URL)

        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={self.URL}"

    def test_a_deactivated_admins_session_is_sent_to_sign_in(self, client_for, admin_user):
        client = client_for(admin_user)
        assert client.get(self.URL).status_code == 200
        admin_user.is_active = False
        admin_user.save(update_fields=["is_active"])

        response = client.get(self.URL)

        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
