"""Writes of the plan: capacity, working hours, time off, allocations and packet demand.

Every function is keyword-only, runs in a transaction and raises ``ValidationError``
(with the field it is about) for input it refuses, before writing anything. Time off
must not overlap for the same person; no database constraint can say so without an
exclusion constraint, so ``time_off_add`` checks under a lock on the person's row:
two concurrent requests for one person queue behind each other.
"""

from datetime import date, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from capacity.models import MAX_WEEKLY_HOURS, Allocation, TimeOff, WeeklyCapacity, WorkingPattern
from capacity.planning.selectors import user_manages_person, user_plans
from engagements.models import Engagement
from handoffs.models import HandoffPacket, HandoffReview
from handoffs.services import user_can_review
from psops.accounts.models import Role, User


def _lock_person(person: User) -> User:
    return User.objects.select_for_update().get(pk=person.pk)


# --- Capacity and working hours ----------------------------------------------------------


@transaction.atomic
def weekly_capacity_set(
    *, person: User, starts_on: date, hours_per_week: Decimal, by: User
) -> WeeklyCapacity:
    """From ``starts_on`` the person can give ``hours_per_week`` (part-time from a date);
    a second change on the same day replaces the first."""
    if not user_plans(by):
        raise ValidationError("Only PS leaders and admins set a person's weekly hours.")
    if hours_per_week is None or not Decimal(0) <= hours_per_week <= MAX_WEEKLY_HOURS:
        raise ValidationError(
            {"hours_per_week": f"Weekly hours must be from 0 to {MAX_WEEKLY_HOURS:.0f}."}
        )
    _lock_person(person)
    change, _ = WeeklyCapacity.objects.update_or_create(
        person=person,
        starts_on=starts_on,
        defaults={"hours_per_week": hours_per_week, "created_by": by},
    )
    return change


@transaction.atomic
def working_pattern_set(
    *, person: User, starts_at: time, ends_at: time, weekdays: list[int], by: User
) -> WorkingPattern:
    """When the person works, in their own time zone (``User.time_zone``)."""
    if not user_manages_person(by, person):
        raise ValidationError("Only the person, PS leaders and admins set working hours.")
    errors: dict[str, str] = {}
    if ends_at <= starts_at:
        errors["ends_at"] = "The working day must end after it starts."
    days = sorted(set(weekdays))
    if not days:
        errors["weekdays"] = "Choose at least one working day."
    elif not set(days) <= set(range(7)):
        errors["weekdays"] = "Choose days from Monday to Sunday."
    if errors:
        raise ValidationError(errors)
    _lock_person(person)
    pattern, _ = WorkingPattern.objects.update_or_create(
        person=person, defaults={"starts_at": starts_at, "ends_at": ends_at, "weekdays": days}
    )
    return pattern


# --- Time off ----------------------------------------------------------------------------


@transaction.atomic
def time_off_add(*, person: User, starts_on: date, ends_on: date, reason: str, by: User) -> TimeOff:
    """The person is away from ``starts_on`` to ``ends_on``, both included."""
    if not user_manages_person(by, person):
        raise ValidationError("Only the person, PS leaders and admins record time off.")
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "The time off ends before it starts."})
    if reason not in TimeOff.Reason.values:
        raise ValidationError({"reason": "Choose a reason."})
    _lock_person(person)
    clash = (
        TimeOff.objects.filter(person=person, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .order_by("starts_on")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            f"{person} is already away from {clash.starts_on:%-d %b %Y} to "
            f"{clash.ends_on:%-d %b %Y}: time off cannot overlap."
        )
    return TimeOff.objects.create(
        person=person, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=by
    )


@transaction.atomic
def time_off_delete(*, time_off: TimeOff, by: User) -> None:
    if not user_manages_person(by, time_off.person):
        raise ValidationError("Only the person, PS leaders and admins remove time off.")
    TimeOff.objects.filter(pk=time_off.pk).delete()


# --- Allocations -------------------------------------------------------------------------


def _allocation_errors(
    *,
    person: User | None,
    role: str,
    hours_per_week: Decimal | None,
    starts_on: date,
    ends_on: date,
    status: str,
    engagement: Engagement | None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if person is not None and (not person.is_active or person.role == Role.SALES):
        errors["person"] = f"{person} cannot be allocated: choose an active person who delivers."
    if not role.strip():
        errors["role"] = "Say what role this is on the engagement (e.g. Architect)."
    if hours_per_week is None or not Decimal(0) < hours_per_week <= MAX_WEEKLY_HOURS:
        errors["hours_per_week"] = (
            f"Hours a week must be more than 0 and at most {MAX_WEEKLY_HOURS:.0f}."
        )
    if ends_on < starts_on:
        errors["ends_on"] = "The allocation ends before it starts."
    if status not in Allocation.Status.values:
        errors["status"] = "Choose tentative or confirmed."
    if engagement is not None:
        if engagement.start_date and starts_on < engagement.start_date:
            errors["starts_on"] = (
                f"The engagement starts on {engagement.start_date:%-d %b %Y}: "
                "the allocation cannot start before."
            )
        if engagement.target_end_date and ends_on > engagement.target_end_date:
            errors.setdefault(
                "ends_on",
                f"The engagement's target end is {engagement.target_end_date:%-d %b %Y}: "
                "the allocation cannot end after.",
            )
    return errors


@transaction.atomic
def allocation_create(
    *,
    engagement: Engagement,
    person: User,
    role: str,
    hours_per_week: Decimal,
    starts_on: date,
    ends_on: date,
    status: str = Allocation.Status.CONFIRMED,
    by: User,
) -> Allocation:
    """Allocate ``person`` to ``engagement`` for hours a week over a date range."""
    if not user_plans(by):
        raise ValidationError("Only PS leaders and admins allocate people.")
    # The dates are checked against the engagement as it is now, not as the page saw it.
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    errors = _allocation_errors(
        person=person,
        role=role,
        hours_per_week=hours_per_week,
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        engagement=engagement,
    )
    if errors:
        raise ValidationError(errors)
    return Allocation.objects.create(
        engagement=engagement,
        person=person,
        role=role.strip(),
        hours_per_week=hours_per_week,
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        created_by=by,
    )


@transaction.atomic
def allocation_update(
    *,
    allocation: Allocation,
    person: User,
    role: str,
    hours_per_week: Decimal,
    starts_on: date,
    ends_on: date,
    status: str,
    by: User,
) -> Allocation:
    """Change an engagement's allocation (not a packet's demand: see ``packet_demand_*``)."""
    if not user_plans(by):
        raise ValidationError("Only PS leaders and admins change allocations.")
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("engagement")
        .get(pk=allocation.pk)
    )
    if allocation.engagement is None:
        raise ValidationError("This is a packet's demand, not an engagement's allocation.")
    errors = _allocation_errors(
        person=person,
        role=role,
        hours_per_week=hours_per_week,
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        engagement=allocation.engagement,
    )
    if errors:
        raise ValidationError(errors)
    allocation.person = person
    allocation.role = role.strip()
    allocation.hours_per_week = hours_per_week
    allocation.starts_on = starts_on
    allocation.ends_on = ends_on
    allocation.status = status
    allocation.save()
    return allocation


@transaction.atomic
def allocation_delete(*, allocation: Allocation, by: User) -> None:
    if not user_plans(by):
        raise ValidationError("Only PS leaders and admins remove allocations.")
    Allocation.objects.filter(pk=allocation.pk, engagement__isnull=False).delete()


# --- Tentative demand on packets ---------------------------------------------------------


@transaction.atomic
def packet_demand_add(
    *,
    packet: HandoffPacket,
    role: str,
    hours_per_week: Decimal,
    starts_on: date,
    ends_on: date,
    person: User | None = None,
    by: User,
) -> Allocation:
    """A tentative line of what a packet under review will need ("an architect, 20 h a
    week from March"), with or without a person named yet."""
    packet = HandoffPacket.objects.select_for_update().get(pk=packet.pk)
    if not user_can_review(user=by, packet=packet):
        raise ValidationError("Only a PS leader or the packet's reviewer adds demand.")
    if packet.status != HandoffPacket.Status.SUBMITTED:
        raise ValidationError("Demand is added while the packet is under review.")
    errors = _allocation_errors(
        person=person,
        role=role,
        hours_per_week=hours_per_week,
        starts_on=starts_on,
        ends_on=ends_on,
        status=Allocation.Status.TENTATIVE,
        engagement=None,
    )
    if errors:
        raise ValidationError(errors)
    return Allocation.objects.create(
        packet=packet,
        person=person,
        role=role.strip(),
        hours_per_week=hours_per_week,
        starts_on=starts_on,
        ends_on=ends_on,
        status=Allocation.Status.TENTATIVE,
        created_by=by,
    )


@transaction.atomic
def packet_demand_delete(*, line: Allocation, by: User) -> None:
    if line.packet_id is None:
        raise ValidationError("This line is not a packet's demand.")
    packet = HandoffPacket.objects.select_for_update().get(pk=line.packet_id)
    if not user_can_review(user=by, packet=packet):
        raise ValidationError("Only a PS leader or the packet's reviewer removes demand.")
    if packet.status != HandoffPacket.Status.SUBMITTED:
        raise ValidationError("Demand is changed while the packet is under review.")
    Allocation.objects.filter(pk=line.pk, packet=packet).delete()


def _clipped(starts_on: date, ends_on: date, engagement: Engagement) -> tuple[date, date]:
    """The dates moved inside the engagement's: a line wholly before its start keeps its
    length from the start; a line wholly after its target end keeps its length up to
    it; then both ends are clipped."""
    start, end = engagement.start_date, engagement.target_end_date
    length = ends_on - starts_on
    if start and ends_on < start:
        starts_on, ends_on = start, start + length
    if end and starts_on > end:
        starts_on, ends_on = end - length, end
    if start:
        starts_on = max(starts_on, start)
    if end:
        ends_on = min(ends_on, end)
    return starts_on, max(ends_on, starts_on)


def packet_demand_on_decision(
    packet: HandoffPacket, engagement: Engagement | None, decision: str, by: User
) -> None:
    """Registered with ``handoffs.decisions``; runs inside the decision's transaction.

    Accepted: the demand becomes the new engagement's confirmed allocations (same
    people, dates moved inside the engagement's). Rejected: the demand goes. Changes
    requested: it stays on the packet for the next round.
    """
    lines = Allocation.objects.filter(packet=packet)
    if decision == HandoffReview.Decision.REJECT:
        lines.delete()
        return
    if decision != HandoffReview.Decision.ACCEPT or engagement is None:
        return
    moved = list(lines.select_for_update())
    now = timezone.now()  # bulk_update leaves auto_now alone
    for line in moved:
        line.updated_at = now
        line.starts_on, line.ends_on = _clipped(line.starts_on, line.ends_on, engagement)
        line.engagement = engagement
        line.packet = None
        line.status = Allocation.Status.CONFIRMED
    Allocation.objects.bulk_update(
        moved, ["engagement", "packet", "status", "starts_on", "ends_on", "updated_at"]
    )
