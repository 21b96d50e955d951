"""The daily cleanup: entries older than the tenant's retention period are deleted.

The append-only guard on ``audit_entry`` refuses every other delete; this one says
it is the cleanup (``psops.audit_cleanup``) in its own transaction only.
"""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from psops.accounts.models import OrganizationSettings
from psops.audit.models import AuditEntry

BATCH = 10_000


def audit_entries_expire() -> int:
    """Delete entries past the retention period, in batches (short locks); how many."""
    days = OrganizationSettings.current().audit_retention_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('psops.audit_cleanup', 'on', true)")
            ids = list(
                AuditEntry.objects.filter(at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:BATCH]
            )
            if not ids:
                return deleted
            deleted += AuditEntry.objects.filter(id__in=ids).delete()[0]
