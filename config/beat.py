"""What Celery beat runs, and how often: every scheduled job of every app.

Each entry runs once per customer organization, in its schema
(``psops.tenancy.scheduler.TenantScheduler``). Tasks are named explicitly where they
are defined, so these strings survive a module move (``tests/config/test_task_names.py``).
"""

from datetime import timedelta

from celery.schedules import crontab


def beat_schedule(*, outbox_sweep: timedelta = timedelta(minutes=1)) -> dict[str, dict]:
    """The schedule; ``outbox_sweep`` is how soon an email that could not be handed to
    the worker (broker down) or sent (mail server down) is tried again."""
    return {
        "outbox-sweep": {"task": "psops.outbox.sweep", "schedule": outbox_sweep},
        **_OTHER_JOBS,
    }


_OTHER_JOBS: dict[str, dict] = {
    "clear-expired-sign-in-records": {
        "task": "psops.accounts.tasks.clear_expired_sign_in_records",
        "schedule": timedelta(hours=24),
    },
    "audit-retention": {"task": "psops.audit.expire_entries", "schedule": timedelta(hours=24)},
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
    "kpi-data-changes-compact": {
        "task": "health.kpis.compact_data_changes",
        "schedule": timedelta(minutes=15),
    },
    "risk-scans": {
        "task": "health.tasks_risks.run_risk_scans",
        "schedule": timedelta(minutes=15),
    },
}
