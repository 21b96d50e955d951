"""Clients, their engagements and everything PS records while delivering them.

An engagement is either a finite implementation project or ongoing success work.
Pain points (with numbers, for scaling problems), recommendations, follow-ups,
escalations and resets all hang off the engagement, and each change that matters
leaves an ``Activity`` on its timeline.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from engagements.projections import (
    CapacityProjection,
    capacity_projection,
    days_to_capacity_expression,
)
from psops.accounts.models import validate_time_zone


class Level(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Client(models.Model):
    class Segment(models.TextChoices):
        SMB = "smb", "Small business"
        MID_MARKET = "mid_market", "Mid-market"
        ENTERPRISE = "enterprise", "Enterprise"
        PUBLIC_SECTOR = "public_sector", "Public sector"

    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=100, blank=True)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="client_name_unique_ci")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("engagements:client_detail", args=[self.pk])


class Engagement(models.Model):
    class Kind(models.TextChoices):
        IMPLEMENTATION = "implementation", "Implementation project"
        SUCCESS = "success", "Ongoing success"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        RESET = "reset", "Reset"
        CLOSED = "closed", "Closed"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="engagements")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.IMPLEMENTATION)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    start_date = models.DateField(null=True, blank=True)
    target_end_date = models.DateField(null=True, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_engagements",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="team_engagements"
    )
    budget_hours = models.PositiveIntegerField(null=True, blank=True)
    # The sales rep whose deal this engagement came from (set when a handoff is
    # accepted); sales sees only engagements it sold.
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sold_engagements",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client__name", "name"]
        indexes = [models.Index(fields=["kind", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(target_end_date__gte=F("start_date")),
                name="engagement_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client.name}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("engagements:engagement_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class Stakeholder(models.Model):
    class Role(models.TextChoices):
        SPONSOR = "sponsor", "Sponsor"
        DECISION_MAKER = "decision_maker", "Decision maker"
        CHAMPION = "champion", "Champion"
        END_USER = "end_user", "End user"
        IMPACTED_GROUP = "impacted_group", "Impacted group"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        CALL = "call", "Call"
        CHAT = "chat", "Chat"
        MEETING = "meeting", "Meeting"
        SHARED_SPACE = "shared_space", "Shared space"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="stakeholders")
    engagements = models.ManyToManyField(Engagement, blank=True, related_name="stakeholders")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.END_USER)
    influence = models.CharField(max_length=10, choices=Level.choices, default=Level.MEDIUM)
    affected = models.CharField(
        "how affected", max_length=10, choices=Level.choices, default=Level.MEDIUM
    )
    preferred_channel = models.CharField(
        max_length=20, choices=Channel.choices, default=Channel.EMAIL
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name


class PainPoint(models.Model):
    class Category(models.TextChoices):
        SCALING = "scaling", "Scaling"
        PERFORMANCE = "performance", "Performance"
        ADOPTION = "adoption", "Adoption"
        INTEGRATION = "integration", "Integration"
        DATA_QUALITY = "data_quality", "Data quality"
        PROCESS = "process", "Process"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        IN_PROGRESS = "in_progress", "In progress"
        RESOLVED = "resolved", "Resolved"
        DEFERRED = "deferred", "Deferred"

    OPEN_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED, Status.IN_PROGRESS)

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="pain_points")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    identified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    identified_on = models.DateField(default=timezone.localdate)
    affected_stakeholders = models.ManyToManyField(
        Stakeholder, blank=True, related_name="pain_points"
    )
    resolution = models.TextField(blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    # Scaling pain points only: the metric that is growing towards its limit.
    metric_name = models.CharField(max_length=100, blank=True)
    metric_unit = models.CharField(max_length=30, blank=True)
    current_value = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    capacity = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    monthly_growth_pct = models.DecimalField(
        "monthly growth (%)", max_digits=7, decimal_places=2, null=True, blank=True
    )
    # The projection's days until capacity (0: already over; NULL: not within five
    # years or no numbers), kept by the database on every write whatever its path, so
    # that "which walls are within the horizon" is an indexed range, not a Python loop.
    days_to_capacity = models.GeneratedField(
        expression=days_to_capacity_expression(),
        output_field=models.IntegerField(null=True),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-identified_on", "-id"]
        indexes = [
            models.Index(fields=["engagement", "status"]),
            # Time to value: each engagement's first pain point resolved since a day.
            models.Index(
                fields=["engagement", "resolved_on", "id"],
                condition=Q(status="resolved"),
                name="painpoint_resolved_idx",
            ),
            models.Index(
                fields=["days_to_capacity"],
                condition=Q(category="scaling", days_to_capacity__isnull=False),
                name="painpoint_scaling_wall_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(category="scaling")
                | (
                    Q(current_value__isnull=False, current_value__gt=0)
                    & Q(capacity__isnull=False, capacity__gt=0)
                    & Q(monthly_growth_pct__isnull=False, monthly_growth_pct__gte=0)
                    & ~Q(metric_name="")
                ),
                name="painpoint_scaling_has_numbers",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_on__isnull=False) | ~Q(status="resolved"),
                name="painpoint_resolved_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("engagements:pain_point_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_scaling(self) -> bool:
        return self.category == self.Category.SCALING

    def projection(self, *, today: date | None = None) -> CapacityProjection | None:
        """When the metric reaches capacity (scaling pain points), else None."""
        if not self.is_scaling or self.capacity is None:
            return None
        return capacity_projection(
            current=self.current_value,
            capacity=self.capacity,
            monthly_growth_pct=self.monthly_growth_pct,
            today=today or timezone.localdate(),
        )


class Recommendation(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DEFERRED = "deferred", "Deferred"
        DECLINED = "declined", "Declined"
        DONE = "done", "Done"

    NEEDS_REASON = (Status.DEFERRED, Status.DECLINED)

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="recommendations"
    )
    pain_point = models.ForeignKey(
        PainPoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recommendations",
    )
    title = models.CharField("what PS advised", max_length=200)
    rationale = models.TextField(blank=True)
    effort_days = models.DecimalField(
        "effort (days)", max_digits=6, decimal_places=1, null=True, blank=True
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    proposed_on = models.DateField(default=timezone.localdate)
    decided_by_name = models.CharField("decided by", max_length=150, blank=True)
    decided_by_role = models.CharField("their role", max_length=150, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-proposed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["deferred", "declined"]) | ~Q(decision_reason=""),
                name="recommendation_deferral_has_reason",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def decided_by(self) -> str:
        if self.decided_by_name and self.decided_by_role:
            return f"{self.decided_by_name} ({self.decided_by_role})"
        return self.decided_by_name or self.decided_by_role


class FollowUp(models.Model):
    class Channel(models.TextChoices):
        CALL_RECAP = "call_recap", "Call recap"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        SHARED_SPACE = "shared_space", "Shared space"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="followups")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="followups"
    )
    due_on = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.SET_NULL, null=True, blank=True, related_name="followups"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"]),
            models.Index(fields=["status", "due_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False) | ~Q(status="done"),
                name="followup_done_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Escalation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MITIGATING = "mitigating", "Mitigating"
        RESOLVED = "resolved", "Resolved"

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="escalations")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.HIGH)
    description = models.TextField(blank=True)
    affected_stakeholders = models.ManyToManyField(
        Stakeholder, blank=True, related_name="escalations"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return self.title


class EngagementReset(models.Model):
    """A formal reset of a troubled engagement: new schedule, team and expectations."""

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="resets")
    previous_target_end_date = models.DateField(null=True, blank=True)
    new_target_end_date = models.DateField()
    previous_status = models.CharField(max_length=20, choices=Engagement.Status.choices)
    team_added = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    team_removed = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    expectations = models.TextField()
    reset_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reset_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reset_at"]

    def __str__(self) -> str:
        return f"Reset of {self.engagement_id} on {self.reset_at:%Y-%m-%d}"


class Activity(models.Model):
    """One entry on an engagement's timeline."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        CALL_RECAP = "call_recap", "Call recap"
        STATUS_CHANGE = "status_change", "Status change"
        PAIN_POINT = "pain_point", "Pain point"
        RECOMMENDATION = "recommendation", "Recommendation"
        FOLLOWUP = "followup", "Follow-up"
        ESCALATION = "escalation", "Escalation"
        RESET = "reset", "Reset"
        CREATED = "created", "Created"

    USER_WRITTEN = (Kind.NOTE, Kind.CALL_RECAP)

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["engagement", "-occurred_at"]),
            # What someone touched last (the consultant home's quick log).
            models.Index(fields=["actor", "-occurred_at"], name="activity_actor_latest_idx"),
        ]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.summary
