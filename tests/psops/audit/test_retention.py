"""The nightly cleanup keeps the tenant's retention period and nothing older."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from psops.accounts.models import OrganizationSettings
from psops.audit.models import AuditEntry
from psops.audit.tasks import expire_entries
from tests.engagements.factories import EngagementFactory

pytestmark = pytest.mark.django_db


def test_entries_past_the_retention_period_go_and_the_rest_stay(tenant):
    OrganizationSettings.objects.update_or_create(id=1, defaults={"audit_retention_days": 365})
    EngagementFactory()
    count = AuditEntry.objects.count()
    assert count > 0

    with time_machine.travel(timezone.now() + timedelta(days=364)):
        assert expire_entries.delay().get() == 0
    assert AuditEntry.objects.count() == count

    with time_machine.travel(timezone.now() + timedelta(days=366)):
        assert expire_entries.delay().get() == count
        assert expire_entries.delay().get() == 0  # idempotent
    assert not AuditEntry.objects.exists()


def test_the_default_period_is_two_years(tenant):
    assert OrganizationSettings().audit_retention_days == 730
