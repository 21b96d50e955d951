"""``config.wsgi`` with its clock moved to just after the current ISO week closed.

A week is closed once its Sunday is over everywhere on Earth (UTC-12): Monday
12:00 UTC. This server stands an hour after that, with the clock running, so the
week the journeys fill in is the most recent closed week here while the normal
server still has it open. Only the Python clock moves; the database's own
``now()`` does not, and nothing this server is asked to show depends on it.
"""

import os
from datetime import UTC, datetime, timedelta

import time_machine

from tests.e2e.stack import start_of_next_week

LATER = start_of_next_week(datetime.now(UTC)) + timedelta(hours=13)

time_machine.travel(LATER, tick=True).start()
# Sessions signed in on the normal server are used here, up to about eight days
# "later": a jump of this clock is not inactivity, so the idle timeout waits longer.
os.environ["SESSION_IDLE_MINUTES"] = str(60 * 24 * 14)

from config.wsgi import application  # noqa: E402

__all__ = ["application"]
