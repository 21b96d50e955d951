"""The bell, /notifications/ and marking notifications read: each person sees only their own."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psops.accounts.models import Notification, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def notice(user, title="Something happened", *, read=False, **fields) -> Notification:
    return Notification.objects.create(
        recipient=user, title=title, read_at=timezone.now() if read else None, **fields
    )


class TestBell:
    def test_the_top_bar_shows_the_unread_count(self, client_for, consultant, leader):
        notice(consultant)
        notice(consultant)
        notice(consultant)
        notice(consultant, read=True)
        notice(leader)

        html = client_for(consultant).get("/").content.decode()

        assert "Notifications (3)</a>" in html
        assert 'aria-label="Notifications, 3 unread"' in html
        assert 'href="/notifications/"' in html

    def test_no_unread_shows_zero(self, client_for, leader):
        assert "Notifications (0)" in client_for(leader).get("/").content.decode()

    def test_the_count_costs_one_query(self, client_for, consultant):
        client = client_for(consultant)
        client.get("/")

        def count() -> int:
            with CaptureQueriesContext(connection) as captured:
                client.get("/")
            return sum("accounts_notification" in query["sql"] for query in captured)

        assert count() == 1
        for _ in range(5):
            notice(consultant)
        assert count() == 1

    def test_the_sign_in_page_has_no_bell(self, anonymous_client):
        assert "Notifications (" not in anonymous_client.get("/accounts/login/").content.decode()


class TestNotificationList:
    def test_lists_only_my_notifications_newest_first(self, client_for, consultant, leader):
        now = timezone.now()
        notice(consultant, "Older notice", created_at=now - datetime.timedelta(days=2))
        notice(consultant, "Newer notice", created_at=now, url="/risks/")
        notice(leader, "Not for you")

        response = client_for(consultant).get("/notifications/")

        assert response.status_code == 200
        html = response.content.decode()
        assert html.index("Newer notice") < html.index("Older notice")
        assert "Not for you" not in html
        assert '<a href="/risks/"><strong>Newer notice</strong></a>' in html

    def test_the_list_is_paginated(self, client_for, consultant):
        for index in range(30):
            notice(consultant, f"Notice {index}")
        client = client_for(consultant)

        first = client.get("/notifications/").content.decode()
        second = client.get("/notifications/?page=2").content.decode()

        assert first.count('<li id="notification-') == 25
        assert second.count('<li id="notification-') == 5
        assert "Page 1 of 2" in first

    def test_every_role_has_one(self, client_for, sales):
        notice(sales, "For sales")
        assert "For sales" in client_for(sales).get("/notifications/").content.decode()

    def test_anonymous_is_sent_to_sign_in(self, anonymous_client):
        assert anonymous_client.get("/notifications/").status_code == 302

    def test_the_query_count_does_not_grow(self, client_for, consultant):
        client = client_for(consultant)
        client.get("/notifications/")

        def count() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/notifications/").status_code == 200
            return len(captured)

        notice(consultant)
        few = count()
        for _ in range(20):
            notice(consultant)
        assert count() == few


class TestMarkRead:
    def test_mark_one_read_via_htmx(self, client_for, consultant):
        target = notice(consultant, "Read me")
        other = notice(consultant, "Leave me")

        response = client_for(consultant).post(f"/notifications/{target.pk}/read/", **HTMX)

        assert response.status_code == 200
        html = response.content.decode()
        assert html.lstrip().startswith(f'<li id="notification-{target.pk}"')
        assert "Unread" not in html
        assert "notifications-changed" in response["HX-Trigger"]
        # The bell is refreshed out of band: one unread left.
        assert 'hx-swap-oob="true">Notifications (1)</a>' in html
        target.refresh_from_db()
        other.refresh_from_db()
        assert target.read_at is not None
        assert other.read_at is None

    def test_mark_one_read_without_htmx_redirects(self, client_for, consultant):
        target = notice(consultant)

        response = client_for(consultant).post(f"/notifications/{target.pk}/read/")

        assert response.status_code == 302
        target.refresh_from_db()
        assert target.read_at is not None

    def test_someone_elses_notification_is_not_found(self, client_for, consultant, leader):
        theirs = notice(leader)

        response = client_for(consultant).post(f"/notifications/{theirs.pk}/read/")

        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_mark_all_read_touches_only_mine(self, client_for, consultant, leader):
        mine = [notice(consultant), notice(consultant)]
        theirs = notice(leader)
        client = client_for(consultant)

        response = client.post("/notifications/read-all/", **HTMX)

        assert response.status_code == 200
        html = response.content.decode()
        assert html.lstrip().startswith('<section id="notification-results"')
        assert 'hx-swap-oob="true">Notifications (0)</a>' in html
        assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
        theirs.refresh_from_db()
        assert theirs.read_at is None
        assert "Notifications (0)" in client.get("/").content.decode()

    def test_mark_all_read_without_htmx_redirects(self, client_for, consultant):
        notice(consultant)

        response = client_for(consultant).post("/notifications/read-all/")

        assert response.status_code == 302
        assert not Notification.objects.filter(read_at__isnull=True).exists()

    def test_another_tenants_user_cannot_mark_mine(
        self, client_for, consultant, other_tenant, tenant
    ):
        mine = notice(consultant)
        connection.set_tenant(other_tenant)
        outsider = UserFactory(role=Role.LEADER)
        connection.set_tenant(tenant)

        response = client_for(outsider, organization=other_tenant).post(
            f"/notifications/{mine.pk}/read/"
        )

        assert response.status_code == 404
        mine.refresh_from_db()
        assert mine.read_at is None


class TestNotifyMany:
    def test_each_recipient_hears_once_per_source_and_by_email_after_commit(
        self, leader, consultant, mailoutbox, django_capture_on_commit_callbacks
    ):
        from psops.accounts.models import Notification
        from psops.notifications import Notice, notify_many

        notices = [
            Notice(leader, "risk:1:leaders", "Scaling risk", "Capacity in 20 days"),
            Notice(consultant, "risk:1:leaders", "Scaling risk", "Capacity in 20 days"),
            Notice(leader, "risk:1:leaders", "Scaling risk", "Capacity in 20 days"),
        ]
        with django_capture_on_commit_callbacks(execute=True):
            notify_many(notices)
        with django_capture_on_commit_callbacks(execute=True):
            notify_many(notices)

        assert Notification.objects.filter(source_key="risk:1:leaders").count() == 2
        assert sorted(m.to[0] for m in mailoutbox) == sorted([leader.email, consultant.email])

    def test_several_notices_at_once_reach_a_person_as_one_email(
        self, leader, consultant, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
    ):
        from psops.accounts.models import Notification
        from psops.notifications import Notice, notify_many

        monkeypatch.setattr("psops.notifications.DIGEST_LISTED", 2)
        notices = [
            Notice(consultant, f"risk:{n}:owner", f"Follow-up overdue: call {n}", f"Due {n}")
            for n in range(3)
        ] + [Notice(leader, "risk:9:leaders", "Scaling risk", "Capacity in 20 days")]
        with django_capture_on_commit_callbacks(execute=True):
            notify_many(notices)

        assert Notification.objects.filter(recipient=consultant).count() == 3
        by_person = {m.to[0]: m for m in mailoutbox}
        assert len(mailoutbox) == 2
        digest = by_person[consultant.email]
        assert digest.subject == "3 new notifications in PS Ops"
        assert "Follow-up overdue: call 0" in digest.body and "Due 1" in digest.body
        assert "call 2" not in digest.body and "And 1 more" in digest.body
        assert by_person[leader.email].subject == "Scaling risk"

    def test_inactive_people_are_not_notified(
        self, consultant, mailoutbox, django_capture_on_commit_callbacks
    ):
        from psops.accounts.models import Notification
        from psops.notifications import Notice, notify_many

        consultant.is_active = False
        consultant.save()
        with django_capture_on_commit_callbacks(execute=True):
            notify_many([Notice(consultant, "risk:2:owner", "Overdue", "")])

        assert not Notification.objects.exists()
        assert mailoutbox == []
