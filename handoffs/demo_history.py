"""A year of acme's handoffs behind the demo's story: a packet for each engagement of
``engagements.demo_history``, reviewed in realistic times (a day to a week), most
accepted at the first pass, some sent back once with surprises, two turned down.

Seeded random, so every run writes the same history; written straight into the
tables, dated in the past, because accepting through the services would create the
engagements a second time.
"""

import random
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from engagements.models import Engagement, Stakeholder
from handoffs.models import (
    CHECKLIST,
    HandoffEvent,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffStakeholder,
    HandoffVerdict,
    Verdict,
)
from psops.accounts.models import Role, User

ITEMS = [
    (HandoffItem.Kind.DELIVERABLE, "Integration with the client's ERP"),
    (HandoffItem.Kind.DELIVERABLE, "Training for the client's admins"),
    (HandoffItem.Kind.CUSTOM_REQUIREMENT, "A custom export for their auditors"),
    (HandoffItem.Kind.COMMITMENT, "Go-live before the end of the quarter"),
    (HandoffItem.Kind.ASSUMPTION, "The client provides a test environment"),
]
SURPRISE_NOTES: dict[str, str] = {
    Verdict.NEEDS_CUSTOM_WORK: "Not in the product: about ten days of custom work, not priced.",
    Verdict.UNCLEAR: "Which systems? The packet does not say.",
    Verdict.NOT_POSSIBLE: "The product cannot do this.",
}


def _dated(model: type[models.Model], pk: int, **fields: object) -> None:
    """Set fields ``auto_now_add`` would otherwise stamp with today."""
    model._default_manager.filter(pk=pk).update(**fields)


def _review(
    packet: HandoffPacket,
    *,
    round_number: int,
    reviewer: User,
    decision: str,
    submitted: datetime,
    reviewed: datetime,
    rng: random.Random,
    surprises: dict[int, str],
) -> None:
    review = HandoffReview.objects.create(
        packet=packet,
        round=round_number,
        reviewer=reviewer,
        decision=decision,
        comments="" if decision == HandoffReview.Decision.ACCEPT else "Price the custom work.",
        submitted_at=submitted,
        **{name: rng.choice([1, 2, 2]) for name, _ in CHECKLIST},
    )
    _dated(HandoffReview, review.pk, created_at=reviewed)
    HandoffVerdict.objects.bulk_create(
        HandoffVerdict(
            review=review,
            item=item,
            item_kind=item.kind,
            item_description=item.description,
            verdict=surprises.get(item.pk, Verdict.IN_SCOPE),
            note=SURPRISE_NOTES.get(surprises.get(item.pk, ""), ""),
        )
        for item in packet.items.all()
    )


def seed_history(*, engagements: list[Engagement], rng: random.Random) -> None:
    reviewers = list(User.objects.filter(role=Role.LEADER, is_active=True).order_by("id"))
    for index, engagement in enumerate(engagements):
        sold_by, start = engagement.sold_by, engagement.start_date
        if sold_by is None or start is None:
            continue  # every history engagement has both; nothing to hand off otherwise
        submitted = timezone.make_aware(
            datetime.combine(start - timedelta(days=rng.randint(9, 16)), datetime.min.time())
        ) + timedelta(hours=rng.randint(9, 16))
        packet = HandoffPacket.objects.create(
            deal_name=engagement.name,
            client=engagement.client,
            contract_value=rng.choice([48_000, 85_000, 120_000, 240_000]),
            signed_on=submitted.date() - timedelta(days=rng.randint(2, 6)),
            requested_start=start,
            engagement_kind=engagement.kind,
            goals="Run the business on one system, not five spreadsheets.",
            success_criteria="Month-end close in three days, not eight.",
            status=HandoffPacket.Status.ACCEPTED,
            filed_by=sold_by,
            review_round=1,
            first_submitted_at=submitted,
            submitted_at=submitted,
            engagement=engagement,
        )
        chosen = rng.sample(ITEMS, k=rng.randint(2, 4))
        if not any(kind == HandoffItem.Kind.DELIVERABLE for kind, _ in chosen):
            chosen.insert(0, ITEMS[0])
        HandoffItem.objects.bulk_create(
            HandoffItem(packet=packet, kind=kind, description=text) for kind, text in chosen
        )
        HandoffStakeholder.objects.create(
            packet=packet, name="Dana Cole", title="VP Operations", role=Stakeholder.Role.SPONSOR
        )
        items = list(packet.items.all())
        reviewer = reviewers[index % len(reviewers)]
        events = [(HandoffEvent.Kind.CREATED, 0, sold_by, submitted - timedelta(days=1))]
        events.append((HandoffEvent.Kind.SUBMITTED, 1, sold_by, submitted))
        reviewed = submitted + timedelta(hours=rng.choice([20, 30, 46, 70, 100, 140]))
        sent_back = index % 3 == 1  # a third need a second round
        if sent_back:
            custom = next((i for i in items if i.kind != HandoffItem.Kind.DELIVERABLE), items[-1])
            verdict = rng.choice([Verdict.NEEDS_CUSTOM_WORK, Verdict.UNCLEAR])
            _review(
                packet,
                round_number=1,
                reviewer=reviewer,
                decision=HandoffReview.Decision.REQUEST_CHANGES,
                submitted=submitted,
                reviewed=reviewed,
                rng=rng,
                surprises={custom.pk: verdict},
            )
            events.append((HandoffEvent.Kind.CHANGES_REQUESTED, 1, reviewer, reviewed))
            resubmitted = reviewed + timedelta(hours=rng.choice([20, 44, 68]))
            reviewed = resubmitted + timedelta(hours=rng.choice([6, 22, 30]))
            events.append((HandoffEvent.Kind.SUBMITTED, 2, sold_by, resubmitted))
            _review(
                packet,
                round_number=2,
                reviewer=reviewer,
                decision=HandoffReview.Decision.ACCEPT,
                submitted=resubmitted,
                reviewed=reviewed,
                rng=rng,
                surprises={},
            )
            final_round = 2
            packet_fields: dict[str, object] = {"review_round": 2, "submitted_at": resubmitted}
        else:
            _review(
                packet,
                round_number=1,
                reviewer=reviewer,
                decision=HandoffReview.Decision.ACCEPT,
                submitted=submitted,
                reviewed=reviewed,
                rng=rng,
                surprises={},
            )
            final_round = 1
            packet_fields = {}
        events.append((HandoffEvent.Kind.ACCEPTED, final_round, reviewer, reviewed))
        _dated(HandoffPacket, packet.pk, decided_at=reviewed, created_at=submitted, **packet_fields)
        for kind, round_number, actor, when in events:
            event = HandoffEvent.objects.create(
                packet=packet, kind=kind, round=round_number, actor=actor
            )
            _dated(HandoffEvent, event.pk, occurred_at=when)
