from celery import shared_task
from django.utils import timezone

from health.risks.scans import risk_scans_run


@shared_task(name="health.tasks_risks.run_risk_scans")
def run_risk_scans() -> dict[str, dict[str, int]]:
    """Every 15 minutes, per tenant (beat): raise, refresh and resolve risks."""
    return risk_scans_run(now=timezone.now())
