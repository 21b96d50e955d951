# Celery discovers tasks in this module; each area keeps its own.
from health.tasks_digest import *  # noqa: F403
from health.tasks_kpis import *  # noqa: F403
from health.tasks_pulse import *  # noqa: F403
from health.tasks_risks import *  # noqa: F403
