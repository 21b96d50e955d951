"""What Celery beat runs, and how often: every scheduled job of every app.

Each entry runs once per customer organization, in its schema
(``psops.tenancy.scheduler.TenantScheduler``). Tasks are named explicitly where they
are defined, so these strings survive a module move (``tests/config/test_task_names.py``).
"""

from datetime import timedelta

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Emails the worker was not handed at once (broker down) or could not send yet.
    "outbox-sweep": {"task": "psops.outbox.sweep", "schedule": timedelta(minutes=1)},
    "clear-expired-sign-in-records": {
        "task": "psops.accounts.tasks.clear_expired_sign_in_records",
        "schedule": timedelta(hours=24),
    },
    "forget-form-tokens": {
        "task": "psops.submissions.purge",
        "schedule": timedelta(hours=24),
    },
    "kpi-snapshots": {"task": "health.tasks_kpis.snapshot_kpis", "schedule": timedelta(hours=24)},
    "pulse-publish": {"task": "health.tasks_pulse.pulse_publish", "schedule": timedelta(hours=1)},
    # Monday morning, in each organization; idempotent per ISO week.
    "weekly-digest": {
        "task": "health.tasks_digest.weekly_digest",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    "risk-scans": {
        "task": "health.tasks_risks.run_risk_scans",
        "schedule": timedelta(minutes=15),
    },
}
