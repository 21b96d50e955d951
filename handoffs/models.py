"""Sales-to-services handoff packets, their item-by-item review and acceptance.

Sales files a packet for every closed deal: the client's goals, success criteria,
stakeholders and every promise as an item (deliverable, custom requirement,
commitment, assumption). Services reviews each item; any verdict but "in scope" is a
surprise, counted against the deal's sales rep. An accepted packet becomes an
engagement (``HandoffPacket.engagement``).
"""

import os

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from engagements.models import Engagement, Stakeholder


class Currency(models.TextChoices):
    USD = "USD", "USD"
    EUR = "EUR", "EUR"
    GBP = "GBP", "GBP"
    CHF = "CHF", "CHF"
    CAD = "CAD", "CAD"
    AUD = "AUD", "AUD"
    JPY = "JPY", "JPY"


def sow_upload_to(packet: "HandoffPacket", filename: str) -> str:
    # Never served from MEDIA_URL: only through the permission-checked SOW view.
    extension = os.path.splitext(filename)[1].lower()
    return f"handoffs/sow/{packet.pk or 'new'}-{os.urandom(8).hex()}{extension}"


# What sales writes on a packet, in the web form or from the CRM: never the status,
# round or submission times, which only the workflow services change.
PACKET_FIELDS = (
    "deal_name",
    "crm_id",
    "client",
    "new_client_name",
    "contract_value",
    "currency",
    "signed_on",
    "requested_start",
    "engagement_kind",
    "goals",
    "success_criteria",
    "discovery_notes",
)
STAKEHOLDER_FIELDS = ("name", "title", "email", "role")
ITEM_FIELDS = ("kind", "description")


class HandoffPacket(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    EDITABLE_STATUSES = (Status.DRAFT, Status.CHANGES_REQUESTED)

    deal_name = models.CharField(max_length=200)
    crm_id = models.CharField("CRM id", max_length=100, blank=True)
    client = models.ForeignKey(
        "engagements.Client",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handoff_packets",
    )
    new_client_name = models.CharField(
        "new client",
        max_length=200,
        blank=True,
        help_text="Only if the client is not in PS Ops yet.",
    )
    contract_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    signed_on = models.DateField("signed", null=True, blank=True)
    requested_start = models.DateField(null=True, blank=True)
    engagement_kind = models.CharField(
        max_length=20, choices=Engagement.Kind.choices, default=Engagement.Kind.IMPLEMENTATION
    )
    goals = models.TextField("the customer's goals, in their words", blank=True)
    success_criteria = models.TextField(blank=True)
    discovery_notes = models.TextField(blank=True)
    sow = models.FileField("SOW", upload_to=sow_upload_to, blank=True)
    sow_filename = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_handoffs"
    )
    assigned_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handoffs_to_review",
    )
    review_round = models.PositiveSmallIntegerField(default=0)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    engagement = models.OneToOneField(
        Engagement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="origin_handoff",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            # The packet list, latest change first.
            models.Index(
                models.F("updated_at").desc(), models.F("id").desc(), name="handoff_updated_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["crm_id"], condition=~Q(crm_id=""), name="handoff_crm_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(client__isnull=False) | ~Q(new_client_name=""),
                name="handoff_has_client",
            ),
            models.CheckConstraint(
                condition=Q(contract_value__isnull=True) | Q(contract_value__gte=0),
                name="handoff_contract_value_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.deal_name

    def get_absolute_url(self) -> str:
        return reverse("handoffs:packet_detail", args=[self.pk])

    @property
    def client_name(self) -> str:
        return self.client.name if self.client_id else self.new_client_name

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES


class HandoffStakeholder(models.Model):
    packet = models.ForeignKey(HandoffPacket, on_delete=models.CASCADE, related_name="stakeholders")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    role = models.CharField(
        max_length=20, choices=Stakeholder.Role.choices, default=Stakeholder.Role.END_USER
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class HandoffItem(models.Model):
    class Kind(models.TextChoices):
        DELIVERABLE = "deliverable", "Deliverable"
        CUSTOM_REQUIREMENT = "custom_requirement", "Custom requirement"
        COMMITMENT = "commitment", "Commitment (date or SLA)"
        ASSUMPTION = "assumption", "Assumption"

    packet = models.ForeignKey(HandoffPacket, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description[:60]}"


class Verdict(models.TextChoices):
    IN_SCOPE = "in_scope", "In scope"
    NEEDS_CUSTOM_WORK = "needs_custom_work", "Needs custom work"
    NOT_POSSIBLE = "not_possible", "Not possible"
    UNCLEAR = "unclear", "Unclear"


SURPRISE_VERDICTS = (Verdict.NEEDS_CUSTOM_WORK, Verdict.NOT_POSSIBLE, Verdict.UNCLEAR)

# The readiness checklist, defined here only: the review's score fields, the review
# form, the service's checks and every "points out of" are derived from it.
CHECKLIST = [
    ("scope_clear", "Scope is clear"),
    ("stakeholders_identified", "Stakeholders identified"),
    ("success_measurable", "Success criteria measurable"),
    ("timeline_realistic", "Timeline realistic"),
    ("custom_work_priced", "Custom work priced"),
    ("discovery_done", "Discovery done"),
]
# What each checklist line can score.
SCORES = {0: "no", 1: "partly", 2: "yes"}
SCORE_MAX = max(SCORES)
CHECKLIST_MAX = SCORE_MAX * len(CHECKLIST)


def _score_field(name: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        dict(CHECKLIST)[name],
        choices=[(score, f"{score} - {say}") for score, say in SCORES.items()],
    )


class HandoffReview(models.Model):
    """One review round: verdicts on every item, the checklist, and the decision."""

    class Decision(models.TextChoices):
        ACCEPT = "accept", "Accept"
        REQUEST_CHANGES = "request_changes", "Request changes"
        REJECT = "reject", "Reject"

    packet = models.ForeignKey(HandoffPacket, on_delete=models.CASCADE, related_name="reviews")
    round = models.PositiveSmallIntegerField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoff_reviews"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comments = models.TextField(blank=True)
    scope_clear = _score_field("scope_clear")
    stakeholders_identified = _score_field("stakeholders_identified")
    success_measurable = _score_field("success_measurable")
    timeline_realistic = _score_field("timeline_realistic")
    custom_work_priced = _score_field("custom_work_priced")
    discovery_done = _score_field("discovery_done")
    # When the packet this round reviewed was submitted: turnaround = created_at - this.
    submitted_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round"]
        constraints = [
            models.UniqueConstraint(
                fields=["packet", "round"], name="handoff_review_one_per_round"
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__lte": SCORE_MAX}),
                    name=f"handoff_review_{name}_max_{SCORE_MAX}",
                )
                for name, _ in CHECKLIST
            ],
        ]

    def __str__(self) -> str:
        return f"Round {self.round} of {self.packet_id}: {self.get_decision_display()}"

    readiness_max = CHECKLIST_MAX  # what readiness_points is out of

    @property
    def readiness_points(self) -> int:
        return sum(getattr(self, name) for name, _ in CHECKLIST)

    @property
    def readiness_percent(self) -> int:
        return round(100 * self.readiness_points / CHECKLIST_MAX)

    @property
    def checklist(self) -> list[tuple[str, int]]:
        return [(label, getattr(self, name)) for name, label in CHECKLIST]


class HandoffVerdict(models.Model):
    """Services' verdict on one item in one review round (a snapshot of the item's text)."""

    review = models.ForeignKey(HandoffReview, on_delete=models.CASCADE, related_name="verdicts")
    item = models.ForeignKey(
        HandoffItem, on_delete=models.SET_NULL, null=True, related_name="verdicts"
    )
    item_kind = models.CharField(max_length=20, choices=HandoffItem.Kind.choices)
    item_description = models.TextField()
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict=Verdict.IN_SCOPE) | ~Q(note=""),
                name="handoff_verdict_surprise_has_note",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}: {self.item_description[:60]}"


class HandoffEvent(models.Model):
    """The packet's history: every submission and decision, round by round."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        SUBMITTED = "submitted", "Submitted"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        UPDATED_BY_API = "updated_by_api", "Updated from the CRM"

    packet = models.ForeignKey(HandoffPacket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    round = models.PositiveSmallIntegerField(default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.TextField(blank=True)
    occurred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        # Edits in the web form and from the CRM share one kind (stored as
        # "updated_by_api", from before web edits were recorded); the note says
        # where a change came from.
        if self.kind == self.Kind.UPDATED_BY_API:
            return "Updated"
        return self.get_kind_display()


class HandoffComment(models.Model):
    packet = models.ForeignKey(HandoffPacket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class ApiToken(models.Model):
    """A CRM integration's bearer token: shown once, stored as a SHA-256 hash, revocable."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # API writes are recorded as this user's (the packet's filer).
    acts_as = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
