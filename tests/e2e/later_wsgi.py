"""``psops.wsgi`` with its clock moved to just after the current ISO week closed.

A week is closed once its Sunday is over everywhere on Earth (UTC-12): Monday
12:00 UTC. This server stands an hour after that, with the clock running, so the
week the journeys fill in is the most recent closed week here while the normal
server still has it open. Only the Python clock moves; the database's own
``now()`` does not, and nothing this server is asked to show depends on it.
"""

from datetime import UTC, datetime, timedelta

import time_machine

_now = datetime.now(UTC)
_next_monday = (_now + timedelta(days=7 - _now.weekday())).replace(
    hour=0, minute=0, second=0, microsecond=0
)
LATER = _next_monday + timedelta(hours=13)

time_machine.travel(LATER, tick=True).start()

from psops.wsgi import application  # noqa: E402

__all__ = ["application"]
