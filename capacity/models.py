"""What PS spends: people's capacity, the plan (allocations) and the actuals (effort).

Capacity is hours a week per person: the organization's default
(``OrganizationSettings.weekly_capacity_hours``) until a dated ``WeeklyCapacity``
says otherwise (part-time from a date), less ``TimeOff``. Whose reason is private:
only the person, their manager and admins read a time off's reason; everyone who
plans sees only that the person is away.

An ``Allocation`` is the plan: a person on an engagement for hours a week over a date
range, tentative or confirmed. A handoff packet under review carries tentative
demand as allocations on the packet (no engagement yet, often no person: "an
architect, 20 h a week from March"); accepting the packet moves them to the new
engagement, confirmed; rejecting it drops them.

``EffortEntry`` is the actuals: hours a person worked on a day for an engagement,
optionally for the pain point or recommendation it served. A ``TimesheetWeek`` row
marks a person's week as submitted: its entries are locked except for leaders and
admins, whose changes the audit trail shows.

This app sits above handoffs (it reads packets) and below health (whose KPIs, risks
and dashboards read it); engagements and handoffs show its panels through their
registries.
"""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

MAX_WEEKLY_HOURS = Decimal("80")
MAX_DAILY_HOURS = Decimal("24")
WORKDAYS = [0, 1, 2, 3, 4]  # Monday..Friday, as date.weekday()


class WeeklyCapacity(models.Model):
    """A person's contracted hours a week from ``starts_on`` until the next change."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capacity_changes"
    )
    starts_on = models.DateField()
    hours_per_week = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_WEEKLY_HOURS)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["person", "starts_on"], name="capacity_one_per_day"),
            models.CheckConstraint(
                condition=Q(hours_per_week__gte=0, hours_per_week__lte=MAX_WEEKLY_HOURS),
                name="capacity_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hours_per_week} h/week from {self.starts_on}"


class WorkingPattern(models.Model):
    """When a person works, in their own time zone: shown to colleagues and clients."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_pattern"
    )
    starts_at = models.TimeField(default=time(9))
    ends_at = models.TimeField(default=time(17))
    weekdays = ArrayField(models.PositiveSmallIntegerField(), default=list)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="working_pattern_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(weekdays__contained_by=[0, 1, 2, 3, 4, 5, 6]),
                name="working_pattern_weekdays",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class TimeOff(models.Model):
    class Reason(models.TextChoices):
        VACATION = "vacation", "Vacation"
        SICK = "sick", "Sick leave"
        PARENTAL = "parental", "Parental leave"
        TRAINING = "training", "Training"
        PUBLIC_HOLIDAY = "holiday", "Public holiday"
        OTHER = "other", "Other"

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    # Private to the person, their manager and admins (capacity.selectors).
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.VACATION)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "starts_on"]
        indexes = [models.Index(fields=["person", "starts_on"], name="time_off_person")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="time_off_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"away {self.starts_on} to {self.ends_on}"


class Allocation(models.Model):
    class Status(models.TextChoices):
        TENTATIVE = "tentative", "Tentative"
        CONFIRMED = "confirmed", "Confirmed"

    engagement = models.ForeignKey(
        "engagements.Engagement",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="allocations",
    )
    # Tentative demand of a packet under review; cleared when it becomes an engagement.
    packet = models.ForeignKey(
        "handoffs.HandoffPacket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="demand",
    )
    # Empty for demand nobody is named for yet ("an architect").
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="allocations",
    )
    role = models.CharField("role on the engagement", max_length=100)
    hours_per_week = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(MAX_WEEKLY_HOURS)],
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CONFIRMED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_on", "id"]
        indexes = [
            models.Index(fields=["person", "starts_on", "ends_on"], name="allocation_person"),
            models.Index(fields=["engagement", "starts_on"], name="allocation_engagement"),
            models.Index(fields=["packet"], name="allocation_packet"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="allocation_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__gt=0, hours_per_week__lte=MAX_WEEKLY_HOURS),
                name="allocation_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(engagement__isnull=False) | Q(packet__isnull=False),
                name="allocation_for_engagement_or_packet",
            ),
            models.CheckConstraint(
                condition=Q(packet__isnull=True) | Q(status="tentative"),
                name="allocation_packet_demand_is_tentative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.hours_per_week} h/week {self.starts_on} to {self.ends_on}"


class EffortEntry(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="effort"
    )
    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="effort"
    )
    worked_on = models.DateField()
    hours = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(MAX_DAILY_HOURS)],
    )
    billable = models.BooleanField(default=True)
    pain_point = models.ForeignKey(
        "engagements.PainPoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="effort",
    )
    recommendation = models.ForeignKey(
        "engagements.Recommendation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="effort",
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["worked_on", "id"]
        verbose_name_plural = "effort entries"
        indexes = [
            models.Index(fields=["person", "worked_on"], name="effort_person_day"),
            models.Index(fields=["engagement", "worked_on"], name="effort_engagement_day"),
            models.Index(
                fields=["pain_point", "worked_on"],
                name="effort_pain_point",
                condition=Q(pain_point__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0, hours__lte=MAX_DAILY_HOURS), name="effort_hours_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hours} h on {self.worked_on}"


class TimesheetWeek(models.Model):
    """A person's submitted week (Monday first): its entries are locked."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="timesheet_weeks"
    )
    week_starts_on = models.DateField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "week_starts_on"], name="timesheet_week_once"
            ),
            models.CheckConstraint(
                condition=Q(week_starts_on__week_day=2), name="timesheet_week_starts_monday"
            ),
        ]

    def __str__(self) -> str:
        return f"week of {self.week_starts_on}"
