from celery import shared_task

from psops.outbox import services


@shared_task(name="psops.outbox.deliver")
def outbox_deliver(email_ids: list[int]) -> int:
    """Deliver the emails a change owed, right after it committed; how many were sent."""
    return services.outbox_deliver_batch(email_ids=email_ids)


@shared_task(name="psops.outbox.sweep")
def outbox_sweep() -> int:
    """Every minute, in each organization: deliver what is due and was not delivered."""
    return services.outbox_sweep()
