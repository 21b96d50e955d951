"""Risk rows written straight through the ORM (the scans are tested on their own)."""

import itertools

from django.utils import timezone

from health.models import Risk

_subjects = itertools.count(1)


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
