from datetime import date
from decimal import Decimal

import factory

from capacity.models import Allocation, EffortEntry, TimeOff, WeeklyCapacity
from tests.engagements.factories import EngagementFactory
from tests.factories import UserFactory


class AllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allocation

    engagement = factory.SubFactory(EngagementFactory)
    person = factory.SubFactory(UserFactory)
    role = "Consultant"
    hours_per_week = Decimal("20")
    starts_on = date(2027, 1, 4)
    ends_on = date(2027, 3, 26)
    status = Allocation.Status.CONFIRMED


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeOff

    person = factory.SubFactory(UserFactory)
    starts_on = date(2027, 1, 11)
    ends_on = date(2027, 1, 15)


class WeeklyCapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeeklyCapacity

    person = factory.SubFactory(UserFactory)
    starts_on = date(2027, 1, 1)
    hours_per_week = Decimal("32")


class EffortEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EffortEntry

    person = factory.SubFactory(UserFactory)
    engagement = factory.SubFactory(EngagementFactory)
    worked_on = date(2027, 1, 5)
    hours = Decimal("4")


class DemandFactory(factory.django.DjangoModelFactory):
    """A tentative demand line on a packet under review (no engagement yet)."""

    class Meta:
        model = Allocation

    engagement = None
    packet = factory.SubFactory("tests.handoffs.factories.HandoffPacketFactory", submitted=True)
    person = None
    role = "Solution architect"
    hours_per_week = Decimal("20")
    starts_on = date(2027, 1, 4)
    ends_on = date(2027, 3, 26)
    status = Allocation.Status.TENTATIVE
