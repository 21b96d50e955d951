"""Demo capacity and effort for acme: everyone's plan and eight weeks of timesheets.

The story it tells: the order platform rollout burns past its budget because the
team keeps firefighting the order queue whose fix (“shard the order queue”, 15 days)
the client deferred a month ago; Carlos is planned for more than a full week ahead;
a packet under review already asks for an architect.
"""

from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

from capacity.hours import monday_of
from capacity.models import (
    Allocation,
    EffortEntry,
    TimeOff,
    TimesheetWeek,
    WeeklyCapacity,
    WorkingPattern,
)
from engagements.models import Engagement, PainPoint
from handoffs.models import HandoffPacket
from psops.accounts.models import User


def seed_tenant(*, organization, users) -> None:
    if organization.slug != "acme" or Allocation.objects.exists():
        return
    today = timezone.localdate()
    engagements = {e.name: e for e in Engagement.objects.all()}
    rollout = engagements.get("Order platform rollout")
    if rollout is None:
        return
    leader, consultant = users["leader"], users["consultant"]
    people = {u.email.split("@")[0]: u for u in User.objects.filter(is_active=True)}

    # Working hours and capacity: Carlos works four days from Lisbon; Priya is part-time.
    consultant.time_zone = "Europe/Lisbon"
    consultant.save(update_fields=["time_zone"])
    WorkingPattern.objects.create(
        person=consultant, starts_at=time(9), ends_at=time(17), weekdays=[0, 1, 2, 3]
    )
    WorkingPattern.objects.create(
        person=leader, starts_at=time(8, 30), ends_at=time(16, 30), weekdays=[0, 1, 2, 3, 4]
    )
    if "priya" in people:
        WeeklyCapacity.objects.create(
            person=people["priya"],
            starts_on=monday_of(today) - timedelta(weeks=4),
            hours_per_week=Decimal("24"),
            created_by=leader,
        )
    if "jonas" in people:
        TimeOff.objects.create(
            person=people["jonas"],
            starts_on=monday_of(today) + timedelta(weeks=2),
            ends_on=monday_of(today) + timedelta(weeks=3, days=-3),
            reason=TimeOff.Reason.VACATION,
            created_by=people["jonas"],
        )

    # The plan: the lead and team of every active engagement, inside its dates.
    allocations = []
    for engagement in engagements.values():
        if engagement.status != Engagement.Status.ACTIVE or engagement.start_date is None:
            continue
        ends_on = engagement.target_end_date or today + timedelta(weeks=26)
        for person in [engagement.lead, *engagement.team.all()]:
            if person is None:
                continue
            allocations.append(
                Allocation(
                    engagement=engagement,
                    person=person,
                    role="Lead" if person == engagement.lead else "Consultant",
                    hours_per_week=Decimal("16") if person == engagement.lead else Decimal("8"),
                    starts_on=max(engagement.start_date, today - timedelta(weeks=12)),
                    ends_on=ends_on,
                    created_by=leader,
                )
            )
    # Carlos is asked for an extra firefighting stint on the rollout: 44 h a week of 32.
    allocations.append(
        Allocation(
            engagement=rollout,
            person=consultant,
            role="Queue firefighting",
            hours_per_week=Decimal("20"),
            starts_on=monday_of(today),
            ends_on=min(
                rollout.target_end_date or today + timedelta(weeks=26),
                monday_of(today) + timedelta(weeks=4, days=4),
            ),
            created_by=leader,
        )
    )
    packet = HandoffPacket.objects.filter(status=HandoffPacket.Status.SUBMITTED).first()
    if packet is not None:
        start = packet.requested_start or today + timedelta(weeks=3)
        allocations.append(
            Allocation(
                packet=packet,
                role="Solution architect",
                hours_per_week=Decimal("20"),
                starts_on=start,
                ends_on=start + timedelta(weeks=8),
                status=Allocation.Status.TENTATIVE,
                created_by=leader,
            )
        )
    Allocation.objects.bulk_create(allocations)

    # Eight weeks of effort: steady on most work, heavy on the rollout's order queue
    # since the shard fix was deferred.
    throughput = PainPoint.objects.filter(engagement=rollout, category="scaling").first()
    entries = []
    first_monday = monday_of(today) - timedelta(weeks=8)
    for week in range(8):
        monday = first_monday + timedelta(weeks=week)
        for offset in range(4):
            day = monday + timedelta(days=offset)
            entries.append(
                EffortEntry(
                    person=consultant,
                    engagement=rollout,
                    worked_on=day,
                    hours=Decimal("6"),
                    note="Build and configuration",
                )
            )
            entries.append(
                EffortEntry(
                    person=leader,
                    engagement=rollout,
                    worked_on=day,
                    hours=Decimal("3"),
                    note="Steering and reviews",
                )
            )
            if throughput is not None and day >= today - timedelta(days=29):
                entries.append(
                    EffortEntry(
                        person=consultant,
                        engagement=rollout,
                        worked_on=day,
                        hours=Decimal("4"),
                        pain_point=throughput,
                        note="Order queue backlog: manual replays",
                    )
                )
                entries.append(
                    EffortEntry(
                        person=people.get("priya", leader),
                        engagement=rollout,
                        worked_on=day,
                        hours=Decimal("4"),
                        pain_point=throughput,
                        note="Order queue: throttling the intake by hand",
                    )
                )
        for engagement in engagements.values():
            if engagement == rollout or engagement.status != Engagement.Status.ACTIVE:
                continue
            if engagement.lead is not None and (engagement.start_date or today) <= monday:
                entries.append(
                    EffortEntry(
                        person=engagement.lead,
                        engagement=engagement,
                        worked_on=monday + timedelta(days=1),
                        hours=Decimal("5"),
                        billable=engagement.kind == Engagement.Kind.IMPLEMENTATION,
                        note="Weekly work session",
                    )
                )
    EffortEntry.objects.bulk_create(entries)
    TimesheetWeek.objects.bulk_create(
        TimesheetWeek(
            person=person,
            week_starts_on=first_monday + timedelta(weeks=week),
            submitted_at=timezone.now(),
            submitted_by=person,
        )
        for person in (consultant, leader)
        for week in range(7)
    )
