"""Settings > Users: the admin's list, the edit page and (de)activation."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psops.accounts import services
from psops.accounts.models import Invitation, Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USERS_URL = "/settings/users/"
HTMX = {"HX-Request": "true"}
ROW = re.compile(r'<tr id="user-(\d+)">')
NEEDS_AN_ADMIN = "The organization needs at least one active admin."
# A user id that exists only where a test creates it (ids are per schema, so a small
# id created in acme may well exist in globex too).
ACME_ONLY_ID = 987_654_321


def edit_url(user) -> str:
    return f"/settings/users/{user.pk}/"


def active_url(user) -> str:
    return f"/settings/users/{user.pk}/active/"


def rows(response) -> list[int]:
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def edit_data(user, **changes) -> dict:
    data = {
        "full_name": user.full_name,
        "role": user.role,
        "manager": user.manager_id or "",
        "time_zone": user.time_zone,
    }
    return data | changes


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


@pytest.fixture
def owner(tenant):
    """The organization's first admin, committed at session setup."""
    return User.objects.get(email="owner@acme.test")


@pytest.fixture
def only_admin(admin_user, owner):
    """``admin_user`` as the one active admin left."""
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    return admin_user


@pytest.fixture
def globex_admin_client(tenant, other_tenant, client_for):
    connection.set_tenant(other_tenant)
    globex_owner = User.objects.get(email="owner@globex.test")
    connection.set_tenant(tenant)
    return client_for(globex_owner, organization=other_tenant)


@pytest.fixture
def acme_only_user(tenant):
    return UserFactory(pk=ACME_ONLY_ID, email="acme.only@acme.test", full_name="Acme Only")


class TestTheList:
    def test_an_admin_sees_everyone_with_role_manager_and_status(
        self, admin_client, admin_user, owner, make_user
    ):
        report = make_user(Role.SALES, full_name="Sam Seller", manager=admin_user)
        gone = make_user(full_name="Gone Person", is_active=False)

        response = admin_client.get(USERS_URL)

        page = response.content.decode()
        assert response.status_code == 200
        assert set(rows(response)) == {admin_user.pk, owner.pk, report.pk, gone.pk}
        sam_row = page[page.index(f'<tr id="user-{report.pk}">') :].split("</tr>")[0]
        assert "Sam Seller" in sam_row
        assert "Sales" in sam_row
        assert admin_user.full_name in sam_row
        assert "Active" in sam_row
        gone_row = page[page.index(f'<tr id="user-{gone.pk}">') :].split("</tr>")[0]
        assert "Deactivated" in gone_row
        assert "Reactivate" in gone_row

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
    def test_other_roles_get_403(self, client_for, make_user, role):
        assert client_for(make_user(role)).get(USERS_URL).status_code == 403

    def test_globex_admins_see_none_of_acmes_people(self, globex_admin_client, acme_only_user):
        response = globex_admin_client.get(USERS_URL)

        assert response.status_code == 200
        assert "acme.only@acme.test" not in response.content.decode()
        assert "owner@globex.test" in response.content.decode()

    @pytest.mark.parametrize("query", ["quill", "QUILL", "penelope.q", "PQ-OFFICE"])
    def test_search_matches_name_or_email_without_regard_to_case(
        self, admin_client, make_user, query
    ):
        match = make_user(full_name="Penelope Quill", email="penelope.q@pq-office.test")
        make_user(full_name="Someone Else", email="else@example.test")

        response = admin_client.get(USERS_URL, {"q": query})

        assert rows(response) == [match.pk]

    def test_a_search_without_matches_says_so(self, admin_client):
        response = admin_client.get(USERS_URL, {"q": "zebra"})

        assert rows(response) == []
        assert "Nobody matches “zebra”." in response.content.decode()

    def test_an_htmx_search_returns_only_the_rows(self, admin_client, make_user):
        match = make_user(full_name="Penelope Quill")

        response = admin_client.get(
            USERS_URL, {"q": "quill"}, headers=HTMX | {"HX-Target": "user-rows"}
        )

        page = response.content.decode()
        assert response.status_code == 200
        assert page.lstrip().startswith('<div id="user-rows">')
        assert "<html" not in page
        assert "Invite someone" not in page
        assert rows(response) == [match.pk]

    def test_twenty_five_people_a_page(self, admin_client, make_user):
        for number in range(25):  # plus admin_user and the owner: 27 people
            make_user(full_name=f"Person {number:02}")

        first = admin_client.get(USERS_URL)
        second = admin_client.get(USERS_URL, {"page": 2})

        assert len(rows(first)) == 25
        assert "Page 1 of 2" in first.content.decode()
        assert 'href="?page=2"' in first.content.decode()
        assert len(rows(second)) == 2
        assert "Page 2 of 2" in second.content.decode()
        all_people = set(User.objects.values_list("pk", flat=True))
        assert set(rows(first)) | set(rows(second)) == all_people

    def test_pages_keep_the_search(self, admin_client, make_user):
        for number in range(26):
            make_user(full_name=f"Match {number:02}")
        make_user(full_name="Other")

        response = admin_client.get(USERS_URL, {"q": "match"})

        assert len(rows(response)) == 25
        assert 'href="?page=2&amp;q=match"' in response.content.decode()
        assert len(rows(admin_client.get(USERS_URL, {"q": "match", "page": 2}))) == 1

    def test_the_number_of_queries_does_not_grow_with_the_people(
        self, admin_client, admin_user, make_user, django_assert_max_num_queries
    ):
        def add_people(count):
            for _ in range(count):
                make_user(manager=admin_user)
                Invitation.objects.create(
                    email=f"invitee{Invitation.objects.count()}@example.test",
                    role=Role.CONSULTANT,
                    invited_by=admin_user,
                    token_hash=f"{Invitation.objects.count():064}",
                    expires_at=timezone.now() + timedelta(days=7),
                )

        add_people(2)
        admin_client.get(USERS_URL)  # the first request of a session does extra work
        with CaptureQueriesContext(connection) as few_people:
            admin_client.get(USERS_URL)

        add_people(18)
        with django_assert_max_num_queries(len(few_people)):
            response = admin_client.get(USERS_URL)

        assert len(rows(response)) == 22
        assert response.content.decode().count("Revoke</button>") == 20


class TestEditing:
    def test_an_admin_changes_role_and_manager(self, admin_client, consultant, leader):
        response = admin_client.post(
            edit_url(consultant), edit_data(consultant, role=Role.LEADER, manager=leader.pk)
        )

        assert response.status_code == 302
        assert response["Location"] == USERS_URL
        consultant.refresh_from_db()
        assert consultant.role == Role.LEADER
        assert consultant.manager == leader
        assert f"Saved changes to {consultant}." in admin_client.get(USERS_URL).content.decode()

    def test_the_manager_can_be_removed(self, admin_client, consultant, leader):
        consultant.manager = leader
        consultant.save(update_fields=["manager"])

        admin_client.post(edit_url(consultant), edit_data(consultant, manager=""))

        consultant.refresh_from_db()
        assert consultant.manager is None

    def test_the_edit_page_shows_the_current_values(self, admin_client, consultant, leader):
        consultant.manager = leader
        consultant.save(update_fields=["manager"])

        response = admin_client.get(edit_url(consultant))

        assert response.status_code == 200
        assert response.context["form"]["manager"].value() == leader.pk
        assert response.context["form"]["role"].value() == Role.CONSULTANT

    @pytest.mark.parametrize("chain_length", [1, 3])
    def test_a_reporting_loop_is_refused(self, admin_client, make_user, chain_length):
        # top <- middle... <- bottom; making bottom top's manager closes a loop.
        top = make_user(full_name="Top")
        people = [top]
        for _ in range(chain_length):
            people.append(make_user(manager=people[-1]))
        bottom = people[-1]

        response = admin_client.post(edit_url(top), edit_data(top, manager=bottom.pk))

        assert response.status_code == 400
        assert response.context["form"].errors["manager"] == ["That would make a reporting loop."]
        assert "That would make a reporting loop." in response.content.decode()
        top.refresh_from_db()
        assert top.manager is None

    def test_a_person_cannot_be_picked_as_their_own_manager(self, admin_client, consultant):
        response = admin_client.post(
            edit_url(consultant), edit_data(consultant, manager=consultant.pk)
        )

        assert response.status_code == 400
        assert "manager" in response.context["form"].errors
        assert consultant.pk not in [
            choice.pk for choice in response.context["form"].fields["manager"].queryset
        ]
        consultant.refresh_from_db()
        assert consultant.manager is None

    def test_the_service_refuses_someone_as_their_own_manager(self, admin_user, consultant):
        with pytest.raises(ValidationError, match="cannot be their own manager"):
            services.user_update(
                user=consultant,
                by=admin_user,
                role=consultant.role,
                manager=consultant,
                time_zone=consultant.time_zone,
                full_name=consultant.full_name,
            )
        consultant.refresh_from_db()
        assert consultant.manager is None

    def test_the_last_active_admin_cannot_be_demoted(self, client_for, only_admin):
        response = client_for(only_admin).post(
            edit_url(only_admin), edit_data(only_admin, role=Role.LEADER)
        )

        assert response.status_code == 400
        assert NEEDS_AN_ADMIN in response.content.decode()
        only_admin.refresh_from_db()
        assert only_admin.role == Role.ADMIN

    def test_an_admin_can_be_demoted_while_another_remains(self, admin_client, owner):
        response = admin_client.post(edit_url(owner), edit_data(owner, role=Role.LEADER))

        assert response.status_code == 302
        owner.refresh_from_db()
        assert owner.role == Role.LEADER

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
    def test_other_roles_get_403(self, client_for, make_user, consultant, role):
        client = client_for(make_user(role))

        assert client.get(edit_url(consultant)).status_code == 403
        response = client.post(edit_url(consultant), edit_data(consultant, role=Role.ADMIN))
        assert response.status_code == 403
        consultant.refresh_from_db()
        assert consultant.role == Role.CONSULTANT

    def test_another_tenants_user_id_is_404(self, globex_admin_client, acme_only_user):
        assert globex_admin_client.get(edit_url(acme_only_user)).status_code == 404
        response = globex_admin_client.post(
            edit_url(acme_only_user), edit_data(acme_only_user, role=Role.ADMIN)
        )

        assert response.status_code == 404
        acme_only_user.refresh_from_db()
        assert acme_only_user.role == Role.CONSULTANT


class TestActivation:
    def test_deactivating_over_htmx_returns_the_updated_row(self, admin_client, consultant):
        response = admin_client.post(active_url(consultant), {"active": "0"}, headers=HTMX)

        row = response.content.decode()
        assert response.status_code == 200
        assert row.lstrip().startswith(f'<tr id="user-{consultant.pk}">')
        assert "<html" not in row
        assert "Deactivated" in row
        assert "Reactivate" in row
        consultant.refresh_from_db()
        assert not consultant.is_active

    def test_reactivating_over_htmx_returns_the_updated_row(self, admin_client, consultant):
        consultant.is_active = False
        consultant.save(update_fields=["is_active"])

        response = admin_client.post(active_url(consultant), {"active": "1"}, headers=HTMX)

        row = response.content.decode()
        assert response.status_code == 200
        assert "Active" in row
        assert "Deactivate</button>" in row
        consultant.refresh_from_db()
        assert consultant.is_active

    def test_without_htmx_the_list_reloads_with_a_message(self, admin_client, consultant):
        response = admin_client.post(active_url(consultant), {"active": "0"}, follow=True)

        assert response.redirect_chain == [(USERS_URL, 302)]
        assert f"{consultant} deactivated." in response.content.decode()

    def test_a_deactivated_persons_open_session_ends(self, admin_client, client_for, consultant):
        their_browser = client_for(consultant)
        assert their_browser.get("/").status_code == 200

        admin_client.post(active_url(consultant), {"active": "0"}, headers=HTMX)

        response = their_browser.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_nobody_can_deactivate_themselves(self, admin_client, admin_user):
        response = admin_client.post(active_url(admin_user), {"active": "0"}, headers=HTMX)

        # A refusal is a 400 whose row (with the message) the page's htmx config swaps in.
        assert response.status_code == 400
        assert "You cannot deactivate your own account." in response.content.decode()
        assert "Deactivate</button>" in response.content.decode()
        admin_user.refresh_from_db()
        assert admin_user.is_active

    def test_nobody_can_deactivate_themselves_without_htmx_either(self, admin_client, admin_user):
        response = admin_client.post(active_url(admin_user), {"active": "0"}, follow=True)

        assert "You cannot deactivate your own account." in response.content.decode()
        admin_user.refresh_from_db()
        assert admin_user.is_active

    def test_the_last_active_admin_cannot_be_deactivated(self, only_admin, leader):
        # Through the pages an admin is always the one asking, so the only way to the
        # last admin is the service itself (a management command, the Django admin).
        with pytest.raises(ValidationError, match=NEEDS_AN_ADMIN):
            services.user_set_active(user=only_admin, by=leader, active=False)

        only_admin.refresh_from_db()
        assert only_admin.is_active

    def test_another_admin_can_be_deactivated_while_one_remains(self, admin_client, owner):
        response = admin_client.post(active_url(owner), {"active": "0"}, headers=HTMX)

        assert response.status_code == 200
        owner.refresh_from_db()
        assert not owner.is_active

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.SALES])
    def test_other_roles_get_403(self, client_for, make_user, consultant, role):
        response = client_for(make_user(role)).post(
            active_url(consultant), {"active": "0"}, headers=HTMX
        )

        assert response.status_code == 403
        consultant.refresh_from_db()
        assert consultant.is_active

    def test_another_tenants_user_id_is_404(self, globex_admin_client, acme_only_user):
        response = globex_admin_client.post(
            active_url(acme_only_user), {"active": "0"}, headers=HTMX
        )

        assert response.status_code == 404
        acme_only_user.refresh_from_db()
        assert acme_only_user.is_active
