"""Factories for the engagements models.

Every factory builds a consistent graph: a stakeholder belongs to the client of
the engagement it is attached to, a scaling pain point has the numbers the
database constraint requires, a done follow-up has its completion time.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from engagements.models import (
    Activity,
    Client,
    Engagement,
    Escalation,
    FollowUp,
    PainPoint,
    Recommendation,
    Stakeholder,
)
from tests.factories import UserFactory


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n:04d}")
    industry = "Logistics"
    segment = Client.Segment.MID_MARKET


class EngagementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Engagement
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Engagement {n:04d}")
    kind = Engagement.Kind.IMPLEMENTATION
    status = Engagement.Status.ACTIVE
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    target_end_date = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=60)
    )
    lead = factory.SubFactory(UserFactory)
    budget_hours = 400

    @factory.post_generation
    def team(self, create, extracted, **kwargs):
        """``EngagementFactory(team=[a, b])`` puts those users on the team."""
        if create and extracted:
            self.team.add(*extracted)


class StakeholderFactory(factory.django.DjangoModelFactory):
    """A client contact; pass ``engagements=[...]`` to attach it (same client)."""

    class Meta:
        model = Stakeholder
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Stakeholder {n:04d}")
    title = "Head of Operations"
    email = factory.Sequence(lambda n: f"stakeholder{n}@client.test")
    role = Stakeholder.Role.END_USER
    influence = "medium"
    affected = "medium"

    @factory.post_generation
    def engagements(self, create, extracted, **kwargs):
        if create and extracted:
            self.engagements.add(*extracted)


class PainPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PainPoint
        skip_postgeneration_save = True

    engagement = factory.SubFactory(EngagementFactory)
    title = factory.Sequence(lambda n: f"Pain point {n:04d}")
    description = "Users wait too long."
    category = PainPoint.Category.PROCESS
    severity = "medium"
    status = PainPoint.Status.OPEN
    identified_by = factory.SelfAttribute("engagement.lead")

    class Params:
        # ``PainPointFactory(scaling=True)`` gives a valid scaling pain point.
        scaling = factory.Trait(
            category=PainPoint.Category.SCALING,
            metric_name="Orders per day",
            metric_unit="orders",
            current_value=Decimal("1000"),
            capacity=Decimal("1500"),
            monthly_growth_pct=Decimal("9.2"),
        )
        resolved = factory.Trait(
            status=PainPoint.Status.RESOLVED,
            resolution="Fixed.",
            resolved_on=factory.LazyFunction(timezone.localdate),
        )

    @factory.post_generation
    def affected_stakeholders(self, create, extracted, **kwargs):
        if create and extracted:
            self.affected_stakeholders.add(*extracted)


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    engagement = factory.SubFactory(EngagementFactory)
    title = factory.Sequence(lambda n: f"Recommendation {n:04d}")
    rationale = "It removes the bottleneck."
    effort_days = Decimal("3.0")
    status = Recommendation.Status.PROPOSED
    created_by = factory.SelfAttribute("engagement.lead")


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    engagement = factory.SubFactory(EngagementFactory)
    title = factory.Sequence(lambda n: f"Follow-up {n:04d}")
    owner = factory.SelfAttribute("engagement.lead")
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    channel = FollowUp.Channel.EMAIL
    status = FollowUp.Status.OPEN
    created_by = factory.SelfAttribute("owner")

    class Params:
        overdue = factory.Trait(
            due_on=factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
        )
        done = factory.Trait(
            status=FollowUp.Status.DONE, completed_at=factory.LazyFunction(timezone.now)
        )


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Escalation
        skip_postgeneration_save = True

    engagement = factory.SubFactory(EngagementFactory)
    title = factory.Sequence(lambda n: f"Escalation {n:04d}")
    severity = "high"
    description = "The go-live is at risk."
    status = Escalation.Status.OPEN
    raised_by = factory.SelfAttribute("engagement.lead")

    @factory.post_generation
    def affected_stakeholders(self, create, extracted, **kwargs):
        if create and extracted:
            self.affected_stakeholders.add(*extracted)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    engagement = factory.SubFactory(EngagementFactory)
    kind = Activity.Kind.NOTE
    summary = factory.Sequence(lambda n: f"Note {n:04d}")
    body = "Talked to the sponsor."
    actor = factory.SelfAttribute("engagement.lead")
