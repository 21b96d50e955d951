"""Two saves of one person's hours for the same day at the same moment.

Each write locks the person's row before it counts the day's hours, so the second
waits for the first to commit, then counts its hours and is refused: the day never
passes 24 hours. Needs two real connections; what they commit is removed afterwards.
"""

import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from capacity.effort import services
from capacity.models import EffortEntry
from engagements.models import Engagement
from psops.accounts.models import Role, User
from tests.capacity.effort.conftest import day
from tests.concurrency import (
    run_on_own_connection,
    start_on_own_connection,
    wait_until_blocked_or_done,
)
from tests.engagements.factories import EngagementFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(tenant):
    marker = uuid.uuid4().hex[:12]

    def create():
        person = UserFactory(role=Role.CONSULTANT, email=f"ada-{marker}@acme.test")
        first = EngagementFactory(lead=person, name=f"First {marker}")
        second = EngagementFactory(lead=person, name=f"Second {marker}")
        return person, first, second

    person, first, second = run_on_own_connection(create, tenant=tenant)
    yield person, first, second

    def remove():
        EffortEntry.objects.filter(person=person).delete()
        for engagement in Engagement.objects.filter(pk__in=[first.pk, second.pk]):
            client = engagement.client
            engagement.delete()
            client.delete()
        User.objects.filter(pk=person.pk).delete()

    run_on_own_connection(remove, tenant=tenant)


def test_two_simultaneous_saves_cannot_pass_24_hours(tenant, committed, monkeypatch):
    person, first, second = committed
    first_checked = threading.Event()
    first_may_commit = threading.Event()
    check_entry = services._check_entry

    def checked_then_held(**kwargs):
        check_entry(**kwargs)
        if kwargs["engagement"].pk == first.pk:
            # The first save has counted the day and is about to write when the second comes.
            first_checked.set()
            assert first_may_commit.wait(timeout=30)

    monkeypatch.setattr(services, "_check_entry", checked_then_held)

    def log(engagement):
        return lambda: services.effort_log(
            person=person, by=person, engagement=engagement, worked_on=day(2), hours=Decimal(14)
        )

    one = start_on_own_connection(log(first), tenant=tenant)
    assert first_checked.wait(timeout=30)
    other = start_on_own_connection(log(second), tenant=tenant)
    assert wait_until_blocked_or_done(other), "the second save did not wait for the first"
    first_may_commit.set()
    one.result()
    with pytest.raises(ValidationError, match="already has 14 h"):
        other.result()
    assert run_on_own_connection(
        lambda: list(EffortEntry.objects.filter(person=person).values_list("hours", flat=True)),
        tenant=tenant,
    ) == [Decimal("14.00")]
