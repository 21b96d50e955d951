from datetime import date

from celery import shared_task

from health.groups import anonymity_changes_sync
from health.pulse.services import pulse_held_settle


@shared_task(name="health.tasks_pulse.pulse_publish")
def pulse_publish(today: str | None = None) -> dict[str, int]:
    """Hourly, per tenant (beat): record (and announce) a changed anonymity minimum or
    team from next week, publish held pulse answers that reached the minimum and
    discard those of closed weeks below it. ``today`` (ISO date) only for tests."""
    anonymity_changes_sync()
    return pulse_held_settle(today=date.fromisoformat(today) if today else None)
