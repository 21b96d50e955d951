"""``User.manager_since``: when the current manager was set, which bounds what of a
person's check-ins that manager may read (``health.checkins.checkins_of_reports``)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from psops.accounts import services
from psops.accounts.models import Role

pytestmark = pytest.mark.django_db


def update(person, *, by, manager, role=None):
    return services.user_update(
        user=person,
        by=by,
        role=role or person.role,
        manager=manager,
        time_zone=person.time_zone,
        full_name=person.full_name,
        team=person.team,
    )


def test_setting_a_manager_records_when(make_user, admin_user):
    person, manager = make_user(), make_user(Role.LEADER)
    before = timezone.now()

    updated = update(person, by=admin_user, manager=manager)

    person.refresh_from_db()
    assert person.manager == manager
    assert before <= person.manager_since <= timezone.now()
    assert updated.manager_since == person.manager_since


def test_changing_the_manager_restarts_it(make_user, admin_user):
    first, second = make_user(Role.LEADER), make_user(Role.LEADER)
    long_ago = timezone.now() - timedelta(days=400)
    person = make_user(manager=first, manager_since=long_ago)

    update(person, by=admin_user, manager=second)

    person.refresh_from_db()
    assert person.manager == second
    assert person.manager_since > timezone.now() - timedelta(minutes=1)


def test_other_changes_keep_it(make_user, admin_user):
    manager = make_user(Role.LEADER)
    long_ago = timezone.now() - timedelta(days=400)
    person = make_user(manager=manager, manager_since=long_ago)

    update(person, by=admin_user, manager=manager, role=Role.SALES)

    person.refresh_from_db()
    assert person.role == Role.SALES
    assert person.manager_since == long_ago


def test_a_relationship_from_before_the_record_keeps_it_unset(make_user, admin_user):
    manager = make_user(Role.LEADER)
    person = make_user(manager=manager, manager_since=None)

    update(person, by=admin_user, manager=manager, role=Role.SALES)

    person.refresh_from_db()
    assert person.manager_since is None


def test_removing_the_manager_clears_it(make_user, admin_user):
    manager = make_user(Role.LEADER)
    person = make_user(manager=manager, manager_since=timezone.now() - timedelta(days=3))

    update(person, by=admin_user, manager=None)

    person.refresh_from_db()
    assert person.manager is None and person.manager_since is None


def test_the_edit_page_records_it_too(client_for, make_user, admin_user):
    manager = make_user(Role.LEADER)
    person = make_user()

    response = client_for(admin_user).post(
        f"/settings/users/{person.pk}/",
        {
            "full_name": person.full_name,
            "role": person.role,
            "manager": manager.pk,
            "time_zone": person.time_zone,
        },
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.manager == manager
    assert person.manager_since is not None
