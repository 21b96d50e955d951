"""Builders for KPI tests: records with the exact dates and times a scenario needs.

Factories stamp ``created_at`` and friends with "now"; KPIs read history, so these
helpers set every date explicitly (times at noon UTC, far from any day's edge).
"""

from datetime import UTC, date, datetime, time, timedelta

from handoffs.models import HandoffPacket, HandoffReview, Verdict
from health.models import CheckIn
from psops.accounts.models import Role
from tests.factories import UserFactory
from tests.handoffs.factories import (
    HandoffItemFactory,
    HandoffPacketFactory,
    HandoffReviewFactory,
    HandoffVerdictFactory,
)

LONG_AGO = datetime(2020, 1, 1, 12, tzinfo=UTC)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def person(role: str = Role.CONSULTANT, **fields):
    """A user who joined long before any scenario starts."""
    fields.setdefault("date_joined", LONG_AGO)
    return UserFactory(role=role, **fields)


def review_round(
    packet: HandoffPacket,
    *,
    round: int,
    reviewed_on: date,
    days_after_submission: float = 1,
    decision: str = HandoffReview.Decision.REQUEST_CHANGES,
    reviewer=None,
) -> HandoffReview:
    """A review round recorded at noon UTC on ``reviewed_on``."""
    reviewed_at = noon(reviewed_on)
    review = HandoffReviewFactory(
        packet=packet,
        round=round,
        decision=decision,
        submitted_at=reviewed_at - timedelta(days=days_after_submission),
        **({"reviewer": reviewer} if reviewer else {}),
    )
    # created_at is auto_now_add: history is written after the fact.
    HandoffReview.objects.filter(pk=review.pk).update(created_at=reviewed_at)
    review.refresh_from_db()
    return review


def verdict(review: HandoffReview, item, value: str = Verdict.IN_SCOPE):
    note = "" if value == Verdict.IN_SCOPE else "Out of scope as sold."
    return HandoffVerdictFactory(review=review, item=item, verdict=value, note=note)


def packet(**fields) -> HandoffPacket:
    fields.setdefault("status", HandoffPacket.Status.SUBMITTED)
    return HandoffPacketFactory(**fields)


def item(packet: HandoffPacket):
    return HandoffItemFactory(packet=packet)


def checkin(user, week, energy: int = 3) -> CheckIn:
    return CheckIn.objects.create(
        user=user,
        iso_year=week.year,
        iso_week=week.week,
        energy=energy,
        workload=3,
        boundaries=CheckIn.Boundaries.YES,
        connection=3,
    )
