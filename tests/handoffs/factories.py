"""Factories for handoff packets, their items, stakeholders, review rounds and comments.

``HandoffPacketFactory()`` is a draft for a new client, filed by a sales rep, with
success criteria but nothing else. ``HandoffPacketFactory(ready=True)`` adds the one
deliverable and the sponsor submission needs; ``submitted=True`` puts it in the review
queue (round 1, submitted now). A packet that really went through submission has
both: ``HandoffPacketFactory(submitted=True, ready=True)``.
"""

import datetime

import factory
from django.utils import timezone

from engagements.models import Stakeholder
from handoffs.models import (
    HandoffComment,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffStakeholder,
    HandoffVerdict,
    Verdict,
)
from psops.accounts.models import Role
from tests.factories import UserFactory


class HandoffPacketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandoffPacket
        skip_postgeneration_save = True

    deal_name = factory.Sequence(lambda n: f"Deal {n:04d}")
    new_client_name = factory.Sequence(lambda n: f"Prospect {n:04d}")
    contract_value = 120_000
    signed_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    requested_start = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=14)
    )
    goals = "Ship every order the day it is placed."
    success_criteria = "95% of orders ship the same day by the end of Q3."
    filed_by = factory.SubFactory(UserFactory, role=Role.SALES)

    class Params:
        submitted = factory.Trait(
            status=HandoffPacket.Status.SUBMITTED,
            review_round=1,
            submitted_at=factory.LazyFunction(timezone.now),
            first_submitted_at=factory.SelfAttribute("submitted_at"),
        )

    @factory.post_generation
    def ready(self, create, extracted, **kwargs):
        """``ready=True``: one deliverable and a sponsor, all that submission still needs."""
        if create and extracted:
            HandoffItemFactory(packet=self)
            HandoffStakeholderFactory(packet=self, role=Stakeholder.Role.SPONSOR)


class HandoffItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandoffItem

    packet = factory.SubFactory(HandoffPacketFactory)
    kind = HandoffItem.Kind.DELIVERABLE
    description = factory.Sequence(lambda n: f"Item {n:04d}: warehouse integration")


class HandoffStakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandoffStakeholder

    packet = factory.SubFactory(HandoffPacketFactory)
    name = factory.Sequence(lambda n: f"Contact {n:04d}")
    title = "VP Operations"
    email = factory.Sequence(lambda n: f"contact{n}@prospect.test")
    role = Stakeholder.Role.END_USER


class HandoffReviewFactory(factory.django.DjangoModelFactory):
    """A decided review round; pass ``verdicts=True`` to give every item of the packet
    an "in scope" verdict, as the review form does."""

    class Meta:
        model = HandoffReview
        skip_postgeneration_save = True

    packet = factory.SubFactory(HandoffPacketFactory, submitted=True)
    round = factory.LazyAttribute(lambda review: review.packet.review_round or 1)
    reviewer = factory.SubFactory(UserFactory, role=Role.LEADER)
    decision = HandoffReview.Decision.REQUEST_CHANGES
    comments = "Name the integration's data owner."
    submitted_at = factory.LazyAttribute(
        lambda review: review.packet.submitted_at or timezone.now()
    )
    # Two points below the maximum unless a test says otherwise.
    scope_clear = 2
    stakeholders_identified = 2
    success_measurable = 1
    timeline_realistic = 2
    custom_work_priced = 1
    discovery_done = 2

    @factory.post_generation
    def verdicts(self, create, extracted, **kwargs):
        if create and extracted:
            HandoffVerdict.objects.bulk_create(
                HandoffVerdict(
                    review=self,
                    item=item,
                    item_kind=item.kind,
                    item_description=item.description,
                    verdict=Verdict.IN_SCOPE,
                )
                for item in self.packet.items.all()
            )


class HandoffVerdictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandoffVerdict

    review = factory.SubFactory(HandoffReviewFactory)
    item = factory.SubFactory(HandoffItemFactory, packet=factory.SelfAttribute("..review.packet"))
    item_kind = factory.SelfAttribute("item.kind")
    item_description = factory.SelfAttribute("item.description")
    verdict = Verdict.IN_SCOPE
    note = ""

    class Params:
        surprise = factory.Trait(
            verdict=Verdict.NEEDS_CUSTOM_WORK, note="Needs a custom connector."
        )


class HandoffCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandoffComment

    packet = factory.SubFactory(HandoffPacketFactory)
    author = factory.SelfAttribute("packet.filed_by")
    body = factory.Sequence(lambda n: f"Comment {n:04d}")
