from datetime import timedelta

import pytest
from axes.models import AccessLog
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from psops.accounts.tasks import clear_expired_sign_in_records

pytestmark = pytest.mark.django_db


def test_clearing_removes_only_expired_records_of_this_tenant_and_is_idempotent(
    tenant, other_tenant
):
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(1))
    old_log = AccessLog.objects.create(username="a@acme.test", ip_address="10.0.0.1")
    AccessLog.objects.filter(pk=old_log.pk).update(attempt_time=now - timedelta(days=91))
    AccessLog.objects.create(username="b@acme.test", ip_address="10.0.0.1")
    connection.set_tenant(other_tenant)
    Session.objects.create(
        session_key="old-globex", session_data="", expire_date=now - timedelta(1)
    )
    connection.set_tenant(tenant)

    first = clear_expired_sign_in_records.delay().get()
    second = clear_expired_sign_in_records.delay().get()

    assert first == {"sessions": 1, "access_logs": 1, "failure_logs": 0}
    assert second == {"sessions": 0, "access_logs": 0, "failure_logs": 0}
    assert set(Session.objects.values_list("session_key", flat=True)) == {"live"}
    assert AccessLog.objects.get().username == "b@acme.test"
    connection.set_tenant(other_tenant)
    assert Session.objects.filter(session_key="old-globex").exists()
