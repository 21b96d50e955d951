from celery import shared_task

from psops.accounts.services import expired_sign_in_records_clear


@shared_task(name="psops.accounts.tasks.clear_expired_sign_in_records")
def clear_expired_sign_in_records() -> dict[str, int]:
    """Daily, per tenant (beat): expired sessions and stale sign-in throttling records."""
    return expired_sign_in_records_clear()
