"""The weekly digest: what each leader gets on Monday, once per ISO week."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from health.home.digest import digest_send
from health.home.tasks import weekly_digest
from health.models import KpiTarget, Risk
from psops.accounts.models import Notification, Role
from tests.engagements.factories import EngagementFactory, FollowUpFactory
from tests.health.factories import make_risk

pytestmark = pytest.mark.django_db


def send(capture, today):
    with capture(execute=True):
        return digest_send(today=today)


@pytest.fixture
def today():
    return timezone.localdate()


def test_each_active_leader_gets_one_digest(
    django_capture_on_commit_callbacks, mailoutbox, leader, consultant, make_user, today
):
    second_leader = make_user(Role.LEADER, email="second@acme.test")
    make_user(Role.LEADER, email="gone@acme.test", is_active=False)
    make_user(Role.ADMIN, email="admin@acme.test")

    sent = send(django_capture_on_commit_callbacks, today)

    assert sent == 2
    assert sorted(m.to[0] for m in mailoutbox) == [leader.email, second_leader.email]
    year, week, _ = today.isocalendar()
    assert mailoutbox[0].subject == f"Your PS weekly digest, week {week} of {year}"


def test_the_digest_lists_risks_followups_and_kpis_off_target(
    django_capture_on_commit_callbacks, mailoutbox, leader, consultant, today
):
    make_risk(kind=Risk.Kind.SCALING, title="Scaling A")
    make_risk(kind=Risk.Kind.SCALING, title="Scaling B", status=Risk.Status.ACKNOWLEDGED)
    make_risk(kind=Risk.Kind.STALE_ENGAGEMENT, title="Stale")
    make_risk(kind=Risk.Kind.STUCK_REVIEW, status=Risk.Status.RESOLVED)
    make_risk(kind=Risk.Kind.OVERLOAD, private_to=consultant, title="Private overload")
    engagement = EngagementFactory(lead=consultant, name="Warehouse rollout")
    FollowUpFactory(engagement=engagement, owner=consultant, title="Send the recap", overdue=True)
    FollowUpFactory(engagement=engagement, owner=consultant, title="Not due yet")
    # The overdue follow-up is not done on time: 0% against a target of 85%.
    KpiTarget.objects.create(key="followups_on_time", target=Decimal("85"))

    send(django_capture_on_commit_callbacks, today)

    (message,) = mailoutbox
    body = message.body
    assert "Open risks: 3" in body
    assert "- Scaling: 2" in body
    assert "- Stale engagement: 1" in body
    assert "Stuck handoff review" not in body
    assert "Overload" not in body
    assert "Private overload" not in body
    assert "Overdue follow-ups: 1" in body
    assert "Send the recap" in body
    assert "Warehouse rollout" in body
    assert "Not due yet" not in body
    assert "KPIs off target: 1" in body
    assert "- Follow-ups done on time: 0%" in body
    assert "http://acme." in body and "/risks/" in body


def test_overdue_followups_list_at_most_ten(
    django_capture_on_commit_callbacks, mailoutbox, leader, consultant, today
):
    engagement = EngagementFactory(lead=consultant)
    for index in range(12):
        FollowUpFactory(
            engagement=engagement,
            owner=consultant,
            title=f"Late follow-up {index:02d}",
            due_on=today - datetime.timedelta(days=20 - index),
        )

    send(django_capture_on_commit_callbacks, today)

    body = mailoutbox[0].body
    assert "Overdue follow-ups: 12" in body
    assert body.count("Late follow-up") == 10
    assert "The oldest 10 of 12." in body


def test_a_quiet_week_says_so(django_capture_on_commit_callbacks, mailoutbox, leader, today):
    send(django_capture_on_commit_callbacks, today)

    body = mailoutbox[0].body
    assert "No open risks." in body
    assert "Nothing overdue." in body
    assert "KPIs off target: 0" in body


def test_running_twice_in_a_week_sends_once(
    django_capture_on_commit_callbacks, mailoutbox, leader, today
):
    monday = today - datetime.timedelta(days=today.weekday())

    assert send(django_capture_on_commit_callbacks, monday) == 1
    assert send(django_capture_on_commit_callbacks, monday + datetime.timedelta(days=3)) == 0

    assert len(mailoutbox) == 1
    year, week, _ = monday.isocalendar()
    record = Notification.objects.get(recipient=leader, source_key=f"digest:{year}-W{week:02d}")
    assert record.title.startswith("Your PS weekly digest")


def test_the_next_week_sends_again(django_capture_on_commit_callbacks, mailoutbox, leader, today):
    send(django_capture_on_commit_callbacks, today)
    send(django_capture_on_commit_callbacks, today + datetime.timedelta(days=7))

    assert len(mailoutbox) == 2


def test_a_leader_added_midweek_still_gets_it(
    django_capture_on_commit_callbacks, mailoutbox, leader, make_user, today
):
    send(django_capture_on_commit_callbacks, today)
    newcomer = make_user(Role.LEADER, email="new@acme.test")

    assert send(django_capture_on_commit_callbacks, today) == 1

    assert [m.to for m in mailoutbox] == [[leader.email], [newcomer.email]]


def test_nothing_is_sent_before_commit(
    django_capture_on_commit_callbacks, mailoutbox, leader, today
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        digest_send(today=today)

    assert mailoutbox == []
    assert len(callbacks) == 1


def test_the_task_sends_the_digest_and_is_idempotent(
    django_capture_on_commit_callbacks, mailoutbox, leader
):
    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_digest.apply().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_digest.apply().get() == 0

    assert len(mailoutbox) == 1


def test_it_is_scheduled_weekly_on_monday_morning():
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-digest"]

    assert entry["task"] == "health.tasks_digest.weekly_digest"
    assert entry["schedule"].day_of_week == {1}
    assert entry["schedule"].hour == {7}
    assert entry["schedule"].minute == {0}
