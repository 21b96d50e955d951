"""Users live in each tenant's schema; the public schema's users are the operators.

A user signs in with their email address and has one role, which decides what
they see and may do (``psops.accounts.permissions``).
"""

import functools
import zoneinfo
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from psops.accounts.emails import email_normalize


@functools.cache
def _time_zones() -> frozenset[str]:
    # The installed tz database, read once per process: listing it walks the
    # filesystem (a sixth of a second, on every form and every user saved).
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list[tuple[str, str]]:
    # Read from the installed tz database at form time, never frozen into migrations
    # (whose choices would then differ from machine to machine).
    return [(name, name) for name in sorted(_time_zones())]


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(f"“{value}” is not a time zone, e.g. Europe/Berlin.")


class Role(models.TextChoices):
    LEADER = "leader", "PS leader"
    CONSULTANT = "consultant", "Consultant"
    SALES = "sales", "Sales"
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # Email addresses are matched without regard to case.
        return self.get(email__iexact=email_normalize(username))

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=email_normalize(email), **fields)
        user.set_password(password)  # None gives an unusable password
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.setdefault("role", Role.ADMIN)
        fields["is_superuser"] = True
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    Role = Role

    email = models.EmailField("email address")
    full_name = models.CharField(max_length=150, blank=True)
    team = models.CharField(
        max_length=100,
        blank=True,
        help_text="The team this person belongs to; anonymous pulse results are grouped by it.",
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CONSULTANT)
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_reports",
        help_text="For 1:1s and skip-levels.",
    )
    # When ``manager`` was last set (``user_update``). A manager reads only the check-ins
    # of weeks not yet over at that moment, so a new manager does not inherit what was
    # told to the previous one. Null: set before this was recorded (or no manager); the
    # relationship is then taken to predate every check-in shown.
    manager_since = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_unique_ci"),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("id")), name="accounts_user_not_own_manager"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = email_normalize(self.email)
        if self.manager_id and self.manager_id == self.pk:
            raise ValidationError({"manager": "A person cannot be their own manager."})

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    # Only operators (superusers in the public schema) use the Django admin, which is
    # served on the public host alone. A tenant admin is not staff: their role is
    # exercised through the app's own pages, whose services keep its rules.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_superuser


class Invitation(models.Model):
    """An admin's invitation to join the organization with a role.

    Only a SHA-256 hash of the token is stored; the token itself travels in the
    emailed link and is never shown again.
    """

    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="accounts_invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_usable(self) -> bool:
        return self.is_pending and not self.is_expired


class EmailChange(models.Model):
    """A person's request to change their own email address.

    It applies only once both addresses confirmed it: the new one (the person reads
    it) and the old one (the account's owner agrees, so that a stolen session alone
    cannot move the account to another mailbox), before ``expires_at``. Only hashes
    of the two emailed tokens are stored. A new request cancels the open one.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_changes")
    old_email = models.EmailField()
    new_email = models.EmailField()
    new_token_hash = models.CharField(max_length=64, unique=True)
    old_token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    new_confirmed_at = models.DateTimeField(null=True, blank=True)
    old_confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(completed_at__isnull=True, cancelled_at__isnull=True),
                name="accounts_emailchange_one_open_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"Email change to {self.new_email}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and self.cancelled_at is None

    @property
    def is_usable(self) -> bool:
        return self.is_open and timezone.now() < self.expires_at


class OrganizationSettings(models.Model):
    """The tenant's own thresholds, set by its admins. One row per tenant schema.

    The one place where the bottom layer names what the features above it tune:
    handoffs reads the review SLA, health the anonymity minimum (pulse, check-in
    summary), the scaling horizon, follow-up escalation and stale-engagement days (risk
    scans). Each feature reads its own field; giving each feature a table of its own
    would be a schema change, so a new threshold still goes here (docs/ARCHITECTURE.md).
    """

    review_sla_business_days = models.PositiveSmallIntegerField(
        "handoff review SLA (business days)",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="A submitted handoff packet not decided within this many business days "
        "is overdue.",
    )
    pulse_minimum_group = models.PositiveSmallIntegerField(
        "anonymity minimum",
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(50)],
        help_text="Anonymous pulse results are shown only for groups with at least this many "
        "answers (3 at the lowest).",
    )
    scaling_horizon_days = models.PositiveSmallIntegerField(
        "scaling risk horizon (days)",
        default=180,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
        help_text="A scaling pain point projected to reach capacity within this many days "
        "raises a risk.",
    )
    followup_escalation_days = models.PositiveSmallIntegerField(
        "follow-up escalation (days overdue)",
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="A follow-up overdue by more than this is escalated to the engagement lead "
        "and the PS leaders.",
    )
    stale_engagement_days = models.PositiveSmallIntegerField(
        "stale engagement (days without activity)",
        default=21,
        validators=[MinValueValidator(3), MaxValueValidator(180)],
    )
    # Read by psops.accounts.second_factor (sign-in), not by a feature above.
    second_factor_required = models.BooleanField(
        "require a second factor for admins and PS leaders",
        default=False,
        help_text="Admins and PS leaders without an authenticator app are asked to set one up "
        "before they can use anything else. Everyone else may set one up if they wish.",
    )
    # Read by psops.audit.retention (the daily cleanup).
    audit_retention_days = models.PositiveSmallIntegerField(
        "keep the audit trail for (days)",
        default=730,
        validators=[MinValueValidator(90), MaxValueValidator(3650)],
        help_text="Audit entries older than this are deleted every night (90 days at the "
        "least, 10 years at the most).",
    )
    # Read by capacity (the grid, utilization): a person's hours unless they have their own.
    weekly_capacity_hours = models.DecimalField(
        "weekly capacity (hours)",
        max_digits=4,
        decimal_places=1,
        default=40,
        validators=[MinValueValidator(1), MaxValueValidator(80)],
        help_text="Each person's hours a week, unless their own capacity says otherwise.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "organization settings"
        verbose_name_plural = "organization settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="organization_settings_singleton")
        ]

    def __str__(self) -> str:
        return "Organization settings"

    @classmethod
    def current(cls) -> "OrganizationSettings":
        settings_row, _ = cls.objects.get_or_create(id=1)
        return settings_row


class Notification(models.Model):
    """An in-app notice for one person (risks, escalations); mirrored by email."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # What raised it, so that a scan running again does not notify twice.
    source_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "source_key"],
                condition=~models.Q(source_key=""),
                name="notification_once_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.title
