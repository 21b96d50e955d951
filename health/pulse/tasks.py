from datetime import date

from celery import shared_task

from health.pulse.services import pulse_held_settle


@shared_task(name="health.tasks_pulse.pulse_publish")
def pulse_publish(today: str | None = None) -> dict[str, int]:
    """Hourly, per tenant (beat): publish held pulse answers that reached the minimum and
    discard those of closed weeks below it. ``today`` (ISO date) only for tests."""
    return pulse_held_settle(today=date.fromisoformat(today) if today else None)
