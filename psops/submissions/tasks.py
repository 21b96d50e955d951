from celery import shared_task

from psops.submissions.guard import submissions_purge


@shared_task(name="psops.submissions.purge")
def submissions_purge_task() -> int:
    """Daily, in each organization: forget form tokens older than a week."""
    return submissions_purge()
