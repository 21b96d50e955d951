"""A creating form posted twice (a double click, a resent request) creates one row."""

import re
import threading
import uuid
from datetime import timedelta

import pytest
from axes.models import AccessLog
from django.urls import reverse
from django.utils import timezone

from engagements import services
from engagements.models import Engagement, PainPoint
from psops.accounts.models import Role, User
from psops.submissions.guard import REPEAT_MESSAGE, TOKEN_FIELD
from psops.submissions.models import Submission
from psops.submissions.tasks import submissions_purge_task
from tests.concurrency import (
    run_on_own_connection,
    start_on_own_connection,
    wait_until_blocked_or_done,
)
from tests.conftest import TenantClient, host_of
from tests.engagements.factories import EngagementFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TOKEN = re.compile(rf'name="{TOKEN_FIELD}" value="([0-9a-f-]{{36}})"')


@pytest.fixture
def lead(make_user):
    return make_user(Role.CONSULTANT, full_name="Ada Lovelace")


@pytest.fixture
def rollout(lead):
    return EngagementFactory(name="Order platform rollout", lead=lead, team=[lead])


@pytest.fixture
def browser(client_for, lead):
    return client_for(lead)


def quick_log_url(engagement) -> str:
    return reverse("engagements:pain_point_quick_log", args=[engagement.pk])


def tokens_on(page) -> list[str]:
    return TOKEN.findall(page.content.decode())


def token_on(page) -> str:
    """The token of the page's first creating form (the engagement page's quick log)."""
    return tokens_on(page)[0]


def quick_log(token: str, title: str = "Orders per day near the limit") -> dict:
    return {"title": title, "category": "other", "severity": "high", TOKEN_FIELD: token}


def test_every_rendering_of_a_creating_form_carries_a_new_token(browser, rollout):
    first = tokens_on(browser.get(rollout.get_absolute_url()))
    second = tokens_on(browser.get(rollout.get_absolute_url()))

    # The quick log and the note form; each rendering and each form its own.
    assert len(first) == len(second) == 2
    assert len(set(first + second)) == 4


def test_a_double_posted_quick_log_logs_one_pain_point(browser, rollout):
    token = token_on(browser.get(rollout.get_absolute_url()))

    first = browser.post(quick_log_url(rollout), quick_log(token), headers=HTMX)
    again = browser.post(quick_log_url(rollout), quick_log(token), headers=HTMX)

    assert first.status_code == 200
    assert "Orders per day near the limit" in first.content.decode()
    # htmx leaves the page as the first answer made it.
    assert again.status_code == 204
    assert PainPoint.objects.filter(engagement=rollout).count() == 1


def test_the_form_the_first_answer_renders_logs_the_next_pain_point(browser, rollout):
    token = token_on(browser.get(rollout.get_absolute_url()))
    first = browser.post(quick_log_url(rollout), quick_log(token), headers=HTMX)

    browser.post(quick_log_url(rollout), quick_log(token_on(first), "Second"), headers=HTMX)

    assert sorted(PainPoint.objects.values_list("title", flat=True)) == [
        "Orders per day near the limit",
        "Second",
    ]


def test_a_repeated_full_page_form_goes_where_the_first_went_and_says_so(browser, rollout):
    url = reverse("engagements:pain_point_create", args=[rollout.pk])
    token = token_on(browser.get(url))

    data = quick_log(token) | {"status": "open", "identified_on": timezone.localdate()}
    first = browser.post(url, data)
    again = browser.post(url, data, follow=True)

    (pain_point,) = PainPoint.objects.filter(engagement=rollout)
    assert first.status_code == 302
    assert first["Location"] == pain_point.get_absolute_url()
    assert again.redirect_chain == [(pain_point.get_absolute_url(), 302)]
    assert REPEAT_MESSAGE in again.content.decode()


def test_refused_input_does_not_use_up_the_token(browser, rollout):
    token = token_on(browser.get(rollout.get_absolute_url()))

    refused = browser.post(quick_log_url(rollout), quick_log(token, title=""), headers=HTMX)
    corrected = browser.post(quick_log_url(rollout), quick_log(token), headers=HTMX)

    assert refused.status_code == 400
    assert corrected.status_code == 200
    assert PainPoint.objects.filter(engagement=rollout).count() == 1


def test_a_token_claimed_by_someone_else_does_not_stop_a_persons_own_post(
    browser, rollout, make_user, client_for
):
    token = token_on(browser.get(rollout.get_absolute_url()))
    browser.post(quick_log_url(rollout), quick_log(token), headers=HTMX)
    colleague = make_user(Role.LEADER, full_name="Grace Hopper")

    response = client_for(colleague).post(
        quick_log_url(rollout), quick_log(token, "Grace's"), headers=HTMX
    )

    assert response.status_code == 200
    assert PainPoint.objects.filter(engagement=rollout).count() == 2


def test_claims_older_than_a_week_are_forgotten(lead):
    old, recent = (Submission.objects.create(user=lead) for _ in range(2))
    Submission.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=8))

    assert submissions_purge_task() == 1
    assert list(Submission.objects.all()) == [recent]


@pytest.fixture
def committed(tenant):
    """A lead and their engagement, committed for two real connections; removed after."""
    marker = uuid.uuid4().hex[:12]

    def create():
        lead = UserFactory(role=Role.CONSULTANT, email=f"ada-{marker}@acme.test")
        return lead, EngagementFactory(name=f"Rollout {marker}", lead=lead, team=[lead])

    lead, engagement = run_on_own_connection(create, tenant=tenant)
    yield lead, engagement

    def remove():
        Submission.objects.filter(user=lead).delete()
        AccessLog.objects.filter(username=lead.email).delete()  # signing in is logged
        record = Engagement.objects.get(pk=engagement.pk)
        PainPoint.objects.filter(engagement=record).delete()
        client = record.client
        record.delete()
        client.delete()
        User.objects.filter(pk=lead.pk).delete()

    run_on_own_connection(remove, tenant=tenant)


def test_two_simultaneous_posts_of_one_form_log_one_pain_point(tenant, committed, monkeypatch):
    lead, engagement = committed
    token = str(uuid.uuid4())
    first_logged, first_may_commit = threading.Event(), threading.Event()
    pain_point_log = services.pain_point_log

    def logged_then_held(**fields):
        logged = pain_point_log(**fields)
        if not first_logged.is_set():
            first_logged.set()
            assert first_may_commit.wait(timeout=30)
        return logged

    monkeypatch.setattr(services, "pain_point_log", logged_then_held)

    def post():
        browser = TenantClient(host=host_of(tenant))
        browser.force_login(lead)
        try:
            return browser.post(quick_log_url(engagement), quick_log(token), headers=HTMX)
        finally:
            browser.logout()

    first = start_on_own_connection(post, tenant=tenant)
    assert first_logged.wait(timeout=30)
    second = start_on_own_connection(post, tenant=tenant)
    # The second waits on the first's uncommitted claim of the token...
    assert wait_until_blocked_or_done(second)
    first_may_commit.set()
    # ...and once it commits, finds it and logs nothing.
    assert first.result().status_code == 200
    assert second.result().status_code == 204
    count = run_on_own_connection(
        lambda: PainPoint.objects.filter(engagement_id=engagement.pk).count(), tenant=tenant
    )
    assert count == 1
