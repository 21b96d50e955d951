"""Writes on handoff packets: filing, submission, review rounds, acceptance, API tokens."""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from engagements import services as engagement_services
from engagements.models import Client, Engagement, FollowUp
from engagements.models import Stakeholder as ClientStakeholder
from handoffs.models import (
    CHECKLIST,
    SURPRISE_VERDICTS,
    ApiToken,
    HandoffComment,
    HandoffEvent,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffVerdict,
    Verdict,
)
from psops.accounts.models import Role, User
from psops.accounts.permissions import user_has_role
from psops.mail import email_send_after_commit

KICKOFF_DAYS = 5  # the kickoff call is due this many days after acceptance


def packet_missing_for_submission(*, packet: HandoffPacket) -> list[str]:
    """What a packet still lacks before services can review it, in words sales can act on."""
    missing = []
    if not packet.client_id and not packet.new_client_name.strip():
        missing.append("the client")
    if not packet.items.filter(kind=HandoffItem.Kind.DELIVERABLE).exists():
        missing.append("at least one deliverable")
    if not packet.success_criteria.strip():
        missing.append("success criteria")
    if not packet.stakeholders.filter(role=ClientStakeholder.Role.SPONSOR).exists():
        missing.append("a sponsor among the stakeholders")
    return missing


def _record(packet, kind, actor, note="") -> HandoffEvent:
    return HandoffEvent.objects.create(
        packet=packet, kind=kind, round=packet.review_round, actor=actor, note=note
    )


@transaction.atomic
def packet_create(*, by: User, **fields: Any) -> HandoffPacket:
    packet = HandoffPacket(filed_by=by, **fields)
    packet.full_clean()
    packet.save()
    _record(packet, HandoffEvent.Kind.CREATED, by)
    return packet


@transaction.atomic
def packet_submit(*, packet: HandoffPacket, by: User, base_url: str) -> HandoffPacket:
    """Send a draft (or a packet sent back for changes) to services for review."""
    packet = HandoffPacket.objects.select_for_update().get(pk=packet.pk)
    if packet.filed_by_id != by.pk:
        raise ValidationError("Only the person who filed this packet can submit it.")
    if not packet.is_editable:
        raise ValidationError(f"This packet is {packet.get_status_display().lower()}.")
    missing = packet_missing_for_submission(packet=packet)
    if missing:
        raise ValidationError("Before submitting, add " + ", ".join(missing) + ".")
    now = timezone.now()
    resubmission = packet.status == HandoffPacket.Status.CHANGES_REQUESTED
    packet.status = HandoffPacket.Status.SUBMITTED
    packet.review_round += 1
    packet.submitted_at = now
    packet.first_submitted_at = packet.first_submitted_at or now
    packet.save()
    _record(
        packet, HandoffEvent.Kind.SUBMITTED, by, "Resubmitted after changes" if resubmission else ""
    )
    leaders = User.objects.filter(role=Role.LEADER, is_active=True).values_list("email", flat=True)
    recipients = list(leaders)
    if packet.assigned_reviewer_id and packet.assigned_reviewer.email not in recipients:
        recipients.append(packet.assigned_reviewer.email)
    if recipients:
        email_send_after_commit(
            to=recipients,
            subject_template="handoffs/email/submitted_subject.txt",
            body_template="handoffs/email/submitted_body.txt",
            context={
                "packet": packet,
                "by": by,
                "resubmission": resubmission,
                "url": base_url + packet.get_absolute_url(),
            },
        )
    return packet


def user_can_review(*, user: User, packet: HandoffPacket) -> bool:
    if user_has_role(user, Role.LEADER):
        return True
    return user_has_role(user, Role.CONSULTANT) and packet.assigned_reviewer_id == user.pk


@dataclass
class ReviewInput:
    decision: str
    scores: dict[str, int]
    verdicts: dict[int, tuple[str, str]]  # item id -> (verdict, note)
    comments: str = ""
    lead: User | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


@transaction.atomic
def packet_review(
    *, packet: HandoffPacket, by: User, review: ReviewInput, base_url: str
) -> HandoffReview:
    """Record one review round and act on its decision (accept, request changes, reject).

    Accepting creates the client (if new), the engagement, its stakeholders and the
    kickoff follow-ups in this same transaction: if any part fails, nothing is created.
    """
    packet = HandoffPacket.objects.select_for_update().get(pk=packet.pk)
    if packet.status != HandoffPacket.Status.SUBMITTED:
        raise ValidationError("Only a submitted packet can be reviewed.")
    if not user_can_review(user=by, packet=packet):
        raise ValidationError("Only a PS leader or the assigned consultant can review this.")

    items = list(packet.items.all())
    errors: dict[str, list[str]] = {}
    for item in items:
        verdict, note = review.verdicts.get(item.pk, ("", ""))
        if verdict not in Verdict.values:
            errors.setdefault(f"verdict_{item.pk}", []).append("Give this item a verdict.")
        elif verdict in SURPRISE_VERDICTS and not note.strip():
            errors.setdefault(f"note_{item.pk}", []).append(
                "Explain the surprise: what is out of scope, impossible or unclear?"
            )
    for name, _label in CHECKLIST:
        if review.scores.get(name) not in (0, 1, 2):
            errors.setdefault(name, []).append("Score 0, 1 or 2.")
    if review.decision not in HandoffReview.Decision.values:
        errors.setdefault("decision", []).append("Choose a decision.")
    if review.decision == HandoffReview.Decision.ACCEPT and review.lead is None:
        errors.setdefault("lead", []).append("Choose who leads the engagement.")
    if (
        review.decision in (HandoffReview.Decision.REQUEST_CHANGES, HandoffReview.Decision.REJECT)
        and not review.comments.strip()
    ):
        what = "what sales should change" if review.decision == "request_changes" else "why"
        errors.setdefault("comments", []).append(f"Say {what}.")
    if errors:
        raise ValidationError(errors)

    record = HandoffReview.objects.create(
        packet=packet,
        round=packet.review_round,
        reviewer=by,
        decision=review.decision,
        comments=review.comments.strip(),
        submitted_at=packet.submitted_at,
        **{name: review.scores[name] for name, _ in CHECKLIST},
    )
    HandoffVerdict.objects.bulk_create(
        [
            HandoffVerdict(
                review=record,
                item=item,
                item_kind=item.kind,
                item_description=item.description,
                verdict=review.verdicts[item.pk][0],
                note=review.verdicts[item.pk][1].strip(),
            )
            for item in items
        ]
    )
    now = timezone.now()
    packet.decided_at = now
    if review.decision == HandoffReview.Decision.ACCEPT:
        packet.status = HandoffPacket.Status.ACCEPTED
        packet.engagement = _engagement_from_packet(
            packet=packet, by=by, lead=review.lead, verdicts=record.verdicts.all()
        )
        _record(packet, HandoffEvent.Kind.ACCEPTED, by, review.comments.strip())
    elif review.decision == HandoffReview.Decision.REQUEST_CHANGES:
        packet.status = HandoffPacket.Status.CHANGES_REQUESTED
        _record(packet, HandoffEvent.Kind.CHANGES_REQUESTED, by, review.comments.strip())
    else:
        packet.status = HandoffPacket.Status.REJECTED
        packet.rejection_reason = review.comments.strip()
        _record(packet, HandoffEvent.Kind.REJECTED, by, review.comments.strip())
    packet.save()
    email_send_after_commit(
        to=[packet.filed_by.email],
        subject_template="handoffs/email/decided_subject.txt",
        body_template="handoffs/email/decided_body.txt",
        context={
            "packet": packet,
            "review": record,
            "by": by,
            "url": base_url + packet.get_absolute_url(),
        },
    )
    return record


def _engagement_from_packet(*, packet: HandoffPacket, by: User, lead: User, verdicts) -> Engagement:
    client = packet.client
    if client is None:
        client = Client.objects.filter(name__iexact=packet.new_client_name.strip()).first()
        if client is None:
            client = Client(name=packet.new_client_name.strip())
            client.full_clean()
            client.save()
        packet.client = client
    start = packet.requested_start or timezone.localdate()
    engagement = engagement_services.engagement_create(
        by=by,
        client=client,
        name=packet.deal_name,
        kind=packet.engagement_kind,
        status=Engagement.Status.PLANNED,
        start_date=start,
        lead=lead,
        sold_by=packet.filed_by,
        team=[lead],
    )
    sponsor = None
    for person in packet.stakeholders.all():
        stakeholder = ClientStakeholder.objects.filter(
            client=client, name__iexact=person.name
        ).first() or ClientStakeholder(client=client, name=person.name)
        stakeholder.title = stakeholder.title or person.title
        stakeholder.email = stakeholder.email or person.email
        stakeholder.role = person.role
        stakeholder.full_clean()
        stakeholder.save()
        stakeholder.engagements.add(engagement)
        if person.role == ClientStakeholder.Role.SPONSOR and sponsor is None:
            sponsor = stakeholder
    due = timezone.localdate() + timedelta(days=KICKOFF_DAYS)
    # A deal name may use all of its 200 characters; the follow-up's title has no more.
    title_length = FollowUp._meta.get_field("title").max_length
    engagement_services.followup_create(
        engagement=engagement,
        by=by,
        title=f"Kickoff call: {packet.deal_name}"[:title_length],
        owner=lead,
        due_on=due,
        channel=FollowUp.Channel.MEETING,
        stakeholder=sponsor,
    )
    for verdict in verdicts:
        if verdict.verdict == Verdict.NEEDS_CUSTOM_WORK:
            engagement_services.followup_create(
                engagement=engagement,
                by=by,
                title=f"Scope and price custom work: {verdict.item_description[:150]}",
                owner=lead,
                due_on=due,
                channel=FollowUp.Channel.MEETING,
                stakeholder=sponsor,
            )
    engagement_services.activity_record(
        engagement=engagement,
        kind="note",
        actor=by,
        summary=f"Accepted from handoff “{packet.deal_name}” filed by {packet.filed_by}",
    )
    return engagement


def comment_add(*, packet: HandoffPacket, by: User, body: str) -> HandoffComment:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write a comment first."})
    return HandoffComment.objects.create(packet=packet, author=by, body=body)


def packet_assign_reviewer(*, packet: HandoffPacket, reviewer: User | None) -> HandoffPacket:
    if packet.status != HandoffPacket.Status.SUBMITTED:
        raise ValidationError("A reviewer can only be assigned while the packet waits for review.")
    if reviewer is not None and not user_has_role(reviewer, Role.CONSULTANT, Role.LEADER):
        raise ValidationError({"reviewer": "Assign a consultant or a PS leader."})
    packet.assigned_reviewer = reviewer
    packet.save(update_fields=["assigned_reviewer", "updated_at"])
    return packet


# --- API tokens -------------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, name: str, by: User, acts_as: User) -> tuple[ApiToken, str]:
    """A new token; the raw value is returned once and never stored."""
    if not name.strip():
        raise ValidationError({"name": "Name the integration that will use this token."})
    # Packets are filed (and later submitted) by a sales rep: the token acts as one.
    if not user_has_role(acts_as, Role.SALES):
        raise ValidationError(
            {"acts_as": "Choose an active sales user: packets are filed as theirs."}
        )
    raw = "psops_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name.strip(), prefix=raw[:12], token_hash=_hash(raw), created_by=by, acts_as=acts_as
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token in this tenant's schema with this value, or None."""
    if not raw:
        return None
    token = (
        ApiToken.objects.select_related("acts_as")
        .filter(
            token_hash=_hash(raw),
            revoked_at__isnull=True,
            acts_as__is_active=True,
            acts_as__role=Role.SALES,
        )
        .first()
    )
    if token is not None:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
