from celery import shared_task

from psops.audit.retention import audit_entries_expire


@shared_task(name="psops.audit.expire_entries")
def expire_entries() -> int:
    """Daily, per tenant: forget entries past the tenant's retention period."""
    return audit_entries_expire()
