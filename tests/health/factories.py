"""Rows written straight through the ORM: risks (the scans are tested on their own) and
long-standing members (``health.groups``)."""

import itertools
from datetime import UTC, datetime

from django.utils import timezone

from health.models import Risk

_subjects = itertools.count(1)
# Joined long before any week a test looks at: counts toward every group.
LONG_AGO = datetime(2020, 1, 6, 9, tzinfo=UTC)


def make_risk(**fields) -> Risk:
    now = timezone.now()
    values = {
        "kind": Risk.Kind.STALE_ENGAGEMENT,
        "subject_key": f"test:{next(_subjects)}",
        "title": "A risk",
        "severity": Risk.Severity.MEDIUM,
        "evidence": "Seen in a test.",
        "first_seen": now,
        "last_seen": now,
    }
    values.update(fields)
    if values.get("status") == Risk.Status.RESOLVED:
        values.setdefault("resolved_at", now)
    return Risk.objects.create(**values)


def member_since_always(user, *, team: str | None = None):
    """``user`` as a long-standing member: joined long ago, in ``team`` (default: theirs)
    since before any recorded change, so that they count toward every group."""
    from health.groups import SINCE_ALWAYS
    from health.models import TeamMembership
    from psops.accounts.models import User

    User.objects.filter(pk=user.pk).update(date_joined=LONG_AGO)
    user.date_joined = LONG_AGO
    TeamMembership.objects.update_or_create(
        user=user,
        from_year=SINCE_ALWAYS.year,
        from_week=SINCE_ALWAYS.week,
        defaults={"team": user.team if team is None else team, "recorded_at": timezone.now()},
    )
    return user
