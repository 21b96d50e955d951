"""PS measured on its own yardstick: KPI targets and snapshots, team check-ins, the
anonymous pulse and private 1:1 notes.

The KPI registry itself lives in code (``health.kpis``); the database keeps only
each tenant's targets and the daily snapshots that draw the trends.

Anonymity of the pulse is structural: ``PulseResponse`` has no user, no time (only
the ISO week), a random UUID key and nothing shared with any other table; the
separate ``PulseParticipation`` says only that someone answered this week.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When

from engagements.models import Severity

ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


def _one_to_five(label: str, help_text: str = "") -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, validators=ONE_TO_FIVE, help_text=help_text)


class KpiTarget(models.Model):
    key = models.CharField(max_length=60, unique=True)
    target = models.DecimalField(max_digits=12, decimal_places=2)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}: {self.target}"


class KpiSnapshot(models.Model):
    """One KPI's value on one day (None when there was nothing to measure)."""

    key = models.CharField(max_length=60)
    day = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "day"]
        constraints = [
            models.UniqueConstraint(fields=["key", "day"], name="kpi_snapshot_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.day}: {self.value}"


class KpiDataChange(models.Model):
    """A tally of writes to the tables the KPIs read, kept by the database itself.

    A statement-level trigger on each such table adds a row of weight 1 per write
    statement, whatever its path (a form, a bulk update, a scan, raw SQL, the admin);
    ``health.kpis.cache`` reads the sum as the data's generation and keys its cached
    values by it. Rows carry no time, no table and no person: only that something
    changed. Compaction folds the rows into one of the same total weight, so the sum
    only ever grows, and only when a writing transaction commits.
    """

    weight = models.BigIntegerField(db_default=1)

    def __str__(self) -> str:
        return f"{self.weight} writes"


class CheckIn(models.Model):
    """A person's named weekly check-in: one per ISO week, editable during that week."""

    class Boundaries(models.TextChoices):
        YES = "yes", "Yes"
        MOSTLY = "mostly", "Mostly"
        NO = "no", "No"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()
    energy = _one_to_five("energy", "1 drained … 5 full of energy")
    workload = _one_to_five("workload", "1 too little … 3 right … 5 far too much")
    boundaries = models.CharField("boundaries respected", max_length=10, choices=Boundaries.choices)
    connection = _one_to_five("connection to the team", "1 isolated … 5 closely connected")
    blockers = models.TextField(blank=True)
    wins = models.TextField(blank=True)
    wants_one_on_one = models.BooleanField("I would like a 1:1", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-iso_year", "-iso_week"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "iso_year", "iso_week"], name="checkin_one_per_user_week"
            ),
            models.CheckConstraint(
                condition=Q(energy__range=(1, 5))
                & Q(workload__range=(1, 5))
                & Q(connection__range=(1, 5)),
                name="checkin_scores_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.iso_year}-W{self.iso_week:02d}"


class PulseResponse(models.Model):
    """An anonymous pulse answer. Nothing here, or anywhere, points back to a person.

    No user, no session, no timestamp (only the ISO week), a random UUID instead of
    a sequential id. Answers are held outside the database and written in shuffled
    batches (``health.pulse``), so neither row order nor transaction ids follow the
    order in which people answered.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()
    team = models.CharField(max_length=100, blank=True)
    energy = _one_to_five("energy")
    workload = _one_to_five("workload")
    safety = _one_to_five(
        "psychological safety", "1 I keep concerns to myself … 5 I can raise anything"
    )
    comment = models.TextField(blank=True)

    class Meta:
        # No ordering: rows carry no order worth showing.
        indexes = [models.Index(fields=["iso_year", "iso_week"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(energy__range=(1, 5))
                & Q(workload__range=(1, 5))
                & Q(safety__range=(1, 5)),
                name="pulse_scores_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"Pulse answer {self.iso_year}-W{self.iso_week:02d}"


class PulseParticipation(models.Model):
    """That a person answered the pulse in a week: enforces one answer each, holds no answer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "iso_year", "iso_week"], name="pulse_one_answer_per_user_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} answered {self.iso_year}-W{self.iso_week:02d}"


class HeldPulseAnswer(models.Model):
    """A pulse answer given but not yet published: sealed, padded, holding no person.

    Written in the same transaction as the person's ``PulseParticipation`` and deleted
    in the transaction that publishes its week (``health.pulse``): a restart of any
    process loses neither. ``sealed`` opens only with the key derived from
    ``SECRET_KEY`` (``health.pulse.holding``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()
    sealed = models.BinaryField()

    class Meta:
        # No ordering: rows carry no order worth showing.
        indexes = [models.Index(fields=["iso_year", "iso_week"])]

    def __str__(self) -> str:
        return f"A sealed answer of {self.iso_year}-W{self.iso_week:02d}"


class TeamMembership(models.Model):
    """The team a person belongs to for the anonymity rules, from an ISO week on.

    A team changed in Settings > Users is recorded here from the week after the change
    was seen (``health.groups``), and the people affected are told: a group's members
    for a week are fixed before it begins, so accounts moved into a team cannot join
    its figures in the same week. Says nothing about any answer.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.CharField(max_length=100, blank=True)
    from_year = models.PositiveSmallIntegerField()
    from_week = models.PositiveSmallIntegerField()
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "from_year", "from_week"], name="team_membership_one_per_week"
            )
        ]

    def __str__(self) -> str:
        team = self.team or "no team"
        return f"{self.user_id} in {team} from {self.from_year}-W{self.from_week:02d}"


class AnonymityMinimum(models.Model):
    """The anonymity minimum in force from an ISO week on (``health.groups``).

    Settings > Organization stores the value asked for; it takes effect here from the
    week after it was seen, announced to everyone, never in the week it was changed.
    """

    value = models.PositiveSmallIntegerField()
    from_year = models.PositiveSmallIntegerField()
    from_week = models.PositiveSmallIntegerField()
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_year", "from_week"], name="anonymity_minimum_one_per_week"
            )
        ]

    def __str__(self) -> str:
        return f"Minimum {self.value} from {self.from_year}-W{self.from_week:02d}"


class OneOnOne(models.Model):
    """A 1:1 (or skip-level) between a manager and a report. Private to its two people."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="one_on_ones_led"
    )
    report = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="one_on_ones"
    )
    is_skip_level = models.BooleanField(default=False)
    held_on = models.DateField()
    shared_notes = models.TextField(blank=True, help_text="Visible to both of you.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(manager=models.F("report")), name="one_on_one_two_people"
            )
        ]

    def __str__(self) -> str:
        kind = "Skip-level" if self.is_skip_level else "1:1"
        return f"{kind} {self.held_on}"


class OneOnOnePrivateNote(models.Model):
    """A note only its author can read: not the other person, not admins, not leaders."""

    one_on_one = models.ForeignKey(OneOnOne, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["one_on_one", "author"], name="one_private_note_per_author"
            )
        ]

    def __str__(self) -> str:
        return "Private note"


class Risk(models.Model):
    """Something the scans found before it became a crisis.

    At most one unresolved risk per kind and subject (a database constraint); a scan
    that finds the same condition again only refreshes ``last_seen``. A risk with
    ``private_to`` (overload) is shown to that person only, never on shared pages.
    """

    class Kind(models.TextChoices):
        SCALING = "scaling", "Scaling"
        OVERDUE_FOLLOWUP = "overdue_followup", "Overdue follow-up"
        STUCK_REVIEW = "stuck_review", "Stuck handoff review"
        STALE_ENGAGEMENT = "stale_engagement", "Stale engagement"
        OVERLOAD = "overload", "Overload"
        OVER_ALLOCATION = "over_allocation", "Over-allocation"
        BUDGET_BURN = "budget_burn", "Budget burn"

    # One severity scale for everything PS tracks: a risk reads like a pain point.
    Severity = Severity

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    # "<model>:<id>", e.g. "painpoint:12": what the risk is about.
    subject_key = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    evidence = models.TextField()
    projected_date = models.DateField(null=True, blank=True)
    engagement = models.ForeignKey(
        "engagements.Engagement",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="risks",
    )
    private_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True)
    # Most severe first (0: critical ... 3: low), kept by the database so that the
    # lists' "most severe, then latest" order is read off an index, not a sort of
    # every open risk.
    severity_rank = models.GeneratedField(
        expression=Case(
            When(severity=Severity.CRITICAL, then=Value(0)),
            When(severity=Severity.HIGH, then=Value(1)),
            When(severity=Severity.MEDIUM, then=Value(2)),
            default=Value(3),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-last_seen", "-id"]
        indexes = [
            models.Index(fields=["status", "kind"]),
            # The lists' order (most severe, then latest seen), by status for the
            # dashboard and a filtered list, and across statuses for the whole list.
            models.Index(
                "status",
                "severity_rank",
                models.F("last_seen").desc(),
                models.F("id").desc(),
                name="risk_status_severity_idx",
            ),
            models.Index(
                "severity_rank",
                models.F("last_seen").desc(),
                models.F("id").desc(),
                name="risk_severity_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key"],
                condition=~Q(status="resolved"),
                name="risk_one_unresolved_per_kind_and_subject",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False) | ~Q(status="resolved"),
                name="risk_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title
