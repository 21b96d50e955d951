"""Celery task names are part of the deployment: a beat schedule stored by a running
deployment, and messages already queued, name tasks by these strings. Moving a
module must not rename a task."""

from django.conf import settings

from config.celery import app

# Every task of the product and its stable name. Renaming one breaks queued messages.
STABLE_TASK_NAMES = {
    "psops.tasks.send_email",
    "psops.outbox.deliver",
    "psops.outbox.sweep",
    "psops.submissions.purge",
    "psops.accounts.tasks.clear_expired_sign_in_records",
    "health.tasks_kpis.snapshot_kpis",
    "health.tasks_pulse.pulse_publish",
    "health.tasks_digest.weekly_digest",
    "health.tasks_risks.run_risk_scans",
    "health.kpis.compact_data_changes",
    "psops.audit.expire_entries",
}


def _product_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {
        name
        for name in app.tasks
        if not name.startswith("celery.") and not name.startswith("tests.")
    }


def test_every_task_keeps_its_stable_name():
    assert _product_tasks() == STABLE_TASK_NAMES


def test_every_beat_entry_names_a_registered_task():
    registered = _product_tasks()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in registered
