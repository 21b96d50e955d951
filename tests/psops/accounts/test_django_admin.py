"""People in the Django admin of an organization's host: read-mostly.

Roles, managers and activation change in Settings > Users, whose services keep one
active admin and refuse reporting loops; the admin shows them but cannot change them.
Nobody is deleted there either: deleting a person would take other people's 1:1s and
notes with them, so people are deactivated instead.
"""

import pytest

from psops.accounts.models import Role, User
from tests.handoffs.pages import form_values

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


def change_url(user) -> str:
    return f"{USERS}{user.pk}/change/"


def delete_url(user) -> str:
    return f"{USERS}{user.pk}/delete/"


@pytest.fixture
def only_admin(tenant, admin_user):
    """``admin_user`` as the one active admin (the organization's owner deactivated)."""
    User.objects.filter(email="owner@acme.test").update(is_active=False)
    return admin_user


@pytest.fixture
def admin_browser(client_for, only_admin):
    return client_for(only_admin)


class TestRoleManagerAndActivation:
    def test_they_are_shown_read_only_with_the_way_to_settings(self, admin_browser, consultant):
        response = admin_browser.get(change_url(consultant))

        page = response.content.decode()
        assert response.status_code == 200
        fields = form_values(response)
        assert {"role", "manager", "is_active"}.isdisjoint(fields)
        assert {"email", "full_name", "time_zone"} <= set(fields)
        assert f'href="/settings/users/{consultant.pk}/"' in page
        assert "never deleted" in page

    def test_the_last_admin_cannot_demote_or_deactivate_themself_here(
        self, admin_browser, only_admin, leader
    ):
        url = change_url(only_admin)
        data = form_values(admin_browser.get(url)) | {
            "role": Role.LEADER,
            "manager": str(leader.pk),
            "full_name": "Ada Admin",
        }
        data.pop("is_active", None)  # an unticked box is not sent

        response = admin_browser.post(url, data)

        assert response.status_code == 302
        only_admin.refresh_from_db()
        assert only_admin.full_name == "Ada Admin"  # what the admin may change, changed
        assert only_admin.role == Role.ADMIN
        assert only_admin.is_active
        assert only_admin.manager is None

    def test_no_reporting_loop_can_be_made_here(self, admin_browser, make_user):
        top = make_user(full_name="Top")
        bottom = make_user(full_name="Bottom", manager=top)
        url = change_url(top)

        admin_browser.post(url, form_values(admin_browser.get(url)) | {"manager": str(bottom.pk)})

        top.refresh_from_db()
        assert top.manager is None


class TestDeleting:
    def test_the_delete_page_is_refused_and_lists_nothing(self, admin_browser, consultant, leader):
        consultant.manager = leader
        consultant.save(update_fields=["manager"])

        page = admin_browser.get(delete_url(consultant))
        posted = admin_browser.post(delete_url(consultant), {"post": "yes"})

        assert page.status_code == 403
        assert consultant.full_name not in page.content.decode()
        assert posted.status_code == 403
        assert User.objects.filter(pk=consultant.pk).exists()

    def test_the_list_offers_no_bulk_delete(self, admin_browser, consultant):
        listing = admin_browser.get(USERS)
        posted = admin_browser.post(
            USERS, {"action": "delete_selected", "_selected_action": [consultant.pk], "post": "yes"}
        )

        assert listing.status_code == 200
        assert "delete_selected" not in listing.content.decode()
        assert posted.status_code in (200, 302)
        assert User.objects.filter(pk=consultant.pk).exists()


def test_people_cannot_be_added_in_the_django_admin(client_for, admin_user):
    from psops.accounts.models import User

    before = User.objects.count()
    client = client_for(admin_user)

    assert client.get("/admin/accounts/user/add/").status_code == 403
    response = client.post("/admin/accounts/user/add/", {"email": "sneaky@acme.test"})
    assert response.status_code == 403
    assert User.objects.count() == before
