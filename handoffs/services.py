"""Writes on handoff packets: filing, submission, review rounds, acceptance, API tokens."""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from engagements import services as engagement_services
from engagements.models import Engagement, FollowUp
from engagements.models import Stakeholder as ClientStakeholder
from engagements.selectors import client_find_by_name
from handoffs.decisions import packet_decided
from handoffs.models import (
    CHECKLIST,
    ITEM_FIELDS,
    PACKET_FIELDS,
    SCORES,
    STAKEHOLDER_FIELDS,
    SURPRISE_VERDICTS,
    ApiToken,
    HandoffComment,
    HandoffEvent,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffStakeholder,
    HandoffVerdict,
    Verdict,
)
from psops.accounts.models import Role, User
from psops.accounts.permissions import user_has_role
from psops.mail import email_send_after_commit
from psops.notifications import Notice, notify_many

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


# --- Filing and editing -----------------------------------------------------------------
#
# Sales writes a packet from the web form and the CRM writes it through the API; both go
# through packet_create / packet_update, so both are validated by the same rules, written
# in one transaction and leave the same history.


class PacketNotEditable(Exception):
    """The packet was submitted or decided since it was loaded: it can no longer be changed.

    Each caller words the refusal for its audience (the web form, the CRM's 409).
    """

    def __init__(self, packet: HandoffPacket) -> None:
        self.packet = packet
        super().__init__(f"This packet is {packet.get_status_display().lower()}.")


@dataclass(frozen=True)
class StakeholderRow:
    """A stakeholder as written on the packet; ``id`` names an existing row to update."""

    name: str
    title: str = ""
    email: str = ""
    role: str = ClientStakeholder.Role.END_USER
    id: int | None = None


@dataclass(frozen=True)
class ItemRow:
    """An item as written on the packet; ``id`` names an existing row to update."""

    kind: str
    description: str
    id: int | None = None


class _Unchanged:
    """The SOW is left as it is (the default): distinct from None, which removes it."""


SOW_UNCHANGED = _Unchanged()
SowChange = File | None | _Unchanged


def sow_filename(upload: File) -> str:
    """The name the SOW is downloaded under: the uploaded file's, as long as it fits."""
    return (upload.name or "")[: HandoffPacket._meta.get_field("sow_filename").max_length]


def packet_lock_for_edit(*, packet: HandoffPacket) -> HandoffPacket:
    """The packet as stored now, locked for this transaction; PacketNotEditable if it is not.

    A submission or CRM update that committed since the caller loaded the packet is seen
    (not overwritten), and one that comes later waits for this transaction.
    """
    packet = HandoffPacket.objects.select_for_update().get(pk=packet.pk)
    if not packet.is_editable:
        raise PacketNotEditable(packet)
    return packet


def _row_values(row: StakeholderRow | ItemRow, names: tuple[str, ...]) -> tuple:
    return tuple(getattr(row, name) for name in names)


def _content(packet: HandoffPacket, stakeholders, items) -> tuple:
    """What a packet says, ids aside: equal contents mean an update would change nothing."""
    return (
        tuple(getattr(packet, "client_id" if name == "client" else name) for name in PACKET_FIELDS),
        [_row_values(person, STAKEHOLDER_FIELDS) for person in stakeholders],
        [_row_values(item, ITEM_FIELDS) for item in items],
    )


def _rows_validated(
    *,
    model: type[HandoffStakeholder] | type[HandoffItem],
    rows: Sequence[StakeholderRow | ItemRow],
    names: tuple[str, ...],
    existing: dict[int, Any],
    prefix: str,
    errors: dict[str, list[str]],
) -> list:
    """The rows as model instances (existing ones updated in memory), their errors collected."""
    instances = []
    for index, row in enumerate(rows):
        instance = existing.get(row.id) if row.id is not None else model()
        if instance is None:
            errors.setdefault(f"{prefix}.{index}", []).append(
                "This row was removed in the meantime: reload the packet."
            )
            continue
        for name in names:
            setattr(instance, name, getattr(row, name))
        try:
            instance.full_clean(exclude=["packet"])
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(f"{prefix}.{index}.{name}", []).extend(messages)
        instances.append(instance)
    return instances


def _packet_write(
    *,
    packet: HandoffPacket,
    fields: dict[str, Any],
    stakeholders: Sequence[StakeholderRow],
    items: Sequence[ItemRow],
    sow: SowChange,
) -> bool:
    """Validate everything, then write it; False (and no write) if nothing would change.

    Every refusal is collected first and raised as one ValidationError, keyed by model
    field and, for rows, dotted as ``items.1.kind``: nothing is written unless all of it
    is valid. Rows with an id are updated in place, rows without one are added, and the
    packet's rows not named are deleted.
    """
    unknown = set(fields) - set(PACKET_FIELDS)
    if unknown:
        raise TypeError(f"Not a packet field: {', '.join(sorted(unknown))}")
    if packet.pk:
        existing_people = {person.pk: person for person in packet.stakeholders.all()}
        existing_items = {item.pk: item for item in packet.items.all()}
    else:
        existing_people, existing_items = {}, {}
    before = _content(packet, existing_people.values(), existing_items.values())

    for name, value in fields.items():
        setattr(packet, name, value)
    errors: dict[str, list[str]] = {}
    try:
        packet.full_clean(exclude=["sow", "sow_filename"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    people = _rows_validated(
        model=HandoffStakeholder,
        rows=stakeholders,
        names=STAKEHOLDER_FIELDS,
        existing=existing_people,
        prefix="stakeholders",
        errors=errors,
    )
    things = _rows_validated(
        model=HandoffItem,
        rows=items,
        names=ITEM_FIELDS,
        existing=existing_items,
        prefix="items",
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    if packet.pk and sow is SOW_UNCHANGED and _content(packet, people, things) == before:
        return False

    packet.save()
    # After the first save, so that a new packet's SOW is stored under its id.
    if isinstance(sow, File):
        packet.sow = sow
        packet.sow_filename = sow_filename(sow)
    elif sow is None:
        packet.sow = ""
        packet.sow_filename = ""
    if sow is not SOW_UNCHANGED:
        packet.save(update_fields=["sow", "sow_filename", "updated_at"])
    for model, kept, rows in (
        (HandoffStakeholder, people, existing_people),
        (HandoffItem, things, existing_items),
    ):
        gone = set(rows) - {row.pk for row in kept if row.pk}
        if gone:
            model.objects.filter(packet=packet, pk__in=gone).delete()
        for row in kept:
            row.packet = packet
            row.save()
    return True


@transaction.atomic
def packet_create(
    *,
    by: User,
    stakeholders: Sequence[StakeholderRow] = (),
    items: Sequence[ItemRow] = (),
    sow: SowChange = SOW_UNCHANGED,
    **fields: Any,
) -> HandoffPacket:
    """File a new draft packet, with its stakeholders and items, as ``by``'s."""
    packet = HandoffPacket(filed_by=by)
    _packet_write(packet=packet, fields=fields, stakeholders=stakeholders, items=items, sow=sow)
    _record(packet, HandoffEvent.Kind.CREATED, by)
    return packet


@transaction.atomic
def packet_update(
    *,
    packet: HandoffPacket,
    by: User,
    fields: dict[str, Any],
    stakeholders: Sequence[StakeholderRow],
    items: Sequence[ItemRow],
    sow: SowChange = SOW_UNCHANGED,
    note: str = "",
) -> tuple[HandoffPacket, bool]:
    """Change a draft (or a packet sent back for changes): fields, stakeholders and items.

    The web form and the CRM both edit through here. Returns the packet and whether
    anything changed; a change is recorded in the packet's history with ``note`` (where
    it came from), and writing what is already stored changes nothing at all (no
    history entry, no new row ids). Raises PacketNotEditable once the packet is
    submitted or decided, and ValidationError (see ``_packet_write``) for values the
    models refuse, in which case nothing is written.
    """
    packet = packet_lock_for_edit(packet=packet)
    changed = _packet_write(
        packet=packet, fields=fields, stakeholders=stakeholders, items=items, sow=sow
    )
    if changed:
        _record(packet, HandoffEvent.Kind.UPDATED_BY_API, by, note)
    return packet, changed


def packet_upsert_from_crm(
    *,
    client_name: str,
    fields: dict[str, Any],
    stakeholders: Sequence[StakeholderRow],
    items: Sequence[ItemRow],
    by: User,
    integration: str,
) -> tuple[HandoffPacket, bool]:
    """Create the CRM deal's packet (keyed by ``fields["crm_id"]``), or update its draft.

    Returns the packet and whether it was created. The client is matched by name
    regardless of case, else named as a new one. The stakeholders and items sent
    replace the packet's own. Raises PacketNotEditable once the packet is submitted or
    decided, and ValidationError for values the models refuse (nothing is written).
    """
    crm_id = fields["crm_id"]
    with transaction.atomic():
        # Two requests for a new crm_id must not both create it: serialize per
        # organization and CRM id for the rest of this transaction.
        schema = connection.schema_name  # type: ignore[attr-defined]  # set by django-tenants
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"{schema}:handoff-crm-id:{crm_id}"],
            )
        client = client_find_by_name(name=client_name)
        fields = {**fields, "client": client, "new_client_name": "" if client else client_name}
        packet = HandoffPacket.objects.filter(crm_id=crm_id).first()
        if packet is None:
            created = packet_create(by=by, stakeholders=stakeholders, items=items, **fields)
            return created, True
        packet, _ = packet_update(
            packet=packet,
            by=by,
            fields=fields,
            stakeholders=stakeholders,
            items=items,
            note=f"Sent by the CRM integration “{integration}”.",
        )
    return packet, False


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
    # The leaders and the assigned reviewer hear of it in the app and by email.
    recipients = {
        person.pk: person for person in User.objects.filter(role=Role.LEADER, is_active=True)
    }
    if packet.assigned_reviewer_id:
        recipients.setdefault(packet.assigned_reviewer_id, packet.assigned_reviewer)
    verb = "resubmitted" if resubmission else "submitted"
    notify_many(
        [
            Notice(
                recipient=person,
                source_key=f"handoff-submitted:{packet.pk}:{packet.review_round}",
                title=f"Handoff to review: {packet.deal_name}"
                + (" (resubmitted)" if resubmission else ""),
                body=f"{by.display_name} {verb} the handoff packet “{packet.deal_name}” "
                f"for {packet.client_name}.",
                url=base_url + packet.get_absolute_url(),
            )
            for person in recipients.values()
        ]
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
        if review.scores.get(name) not in SCORES:
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
    packet_decided(packet=packet, decision=review.decision, by=by)
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
        client, _ = engagement_services.client_get_or_create(name=packet.new_client_name)
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
        stakeholder = engagement_services.stakeholder_add_to_engagement(
            engagement=engagement,
            name=person.name,
            title=person.title,
            email=person.email,
            role=person.role,
        )
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
