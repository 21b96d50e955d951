"""Writes on engagements. Each one that matters leaves an entry on the timeline."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from engagements.models import (
    Activity,
    Client,
    Engagement,
    EngagementReset,
    Escalation,
    FollowUp,
    Level,
    PainPoint,
    Recommendation,
    Stakeholder,
)
from engagements.selectors import client_find_by_name
from psops.accounts.models import User


def activity_record(
    *, engagement: Engagement, kind: str, summary: str, actor: User | None, body: str = ""
) -> Activity:
    summary_length = Activity._meta.get_field("summary").max_length
    return Activity.objects.create(
        engagement=engagement, kind=kind, summary=summary[:summary_length], body=body, actor=actor
    )


def activity_add_note(*, engagement: Engagement, kind: str, body: str, by: User) -> Activity:
    """A note or call recap written by a person."""
    if kind not in Activity.USER_WRITTEN:
        raise ValidationError({"kind": "Choose a note or a call recap."})
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    label = Activity.Kind(kind).label
    first_line = body.splitlines()[0]
    return activity_record(
        engagement=engagement, kind=kind, summary=f"{label}: {first_line}", actor=by, body=body
    )


# --- Clients and engagements -----------------------------------------------------------


def client_save(*, client: Client) -> Client:
    client.full_clean()
    client.save()
    return client


def client_get_or_create(*, name: str) -> tuple[Client, bool]:
    """The client of this name, regardless of case, or a new one; and whether it is new."""
    name = name.strip()
    client = client_find_by_name(name=name)
    if client is not None:
        return client, False
    return client_save(client=Client(name=name)), True


@transaction.atomic
def engagement_create(*, by: User, team: Iterable[User] = (), **fields: Any) -> Engagement:
    engagement = Engagement(**fields)
    engagement.full_clean()
    engagement.save()
    engagement.team.set(team)
    activity_record(
        engagement=engagement,
        kind=Activity.Kind.CREATED,
        summary=f"Engagement created ({engagement.get_kind_display()}, "
        f"{engagement.get_status_display().lower()})",
        actor=by,
    )
    return engagement


@transaction.atomic
def engagement_update(
    *, engagement: Engagement, by: User, team: Iterable[User] | None = None, **fields
) -> Engagement:
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    previous_status = engagement.status
    for name, value in fields.items():
        setattr(engagement, name, value)
    engagement.full_clean()
    engagement.save()
    if team is not None:
        engagement.team.set(team)
    if engagement.status != previous_status:
        activity_record(
            engagement=engagement,
            kind=Activity.Kind.STATUS_CHANGE,
            summary=f"Status changed from {Engagement.Status(previous_status).label} "
            f"to {engagement.get_status_display()}",
            actor=by,
        )
    return engagement


@transaction.atomic
def engagement_reset(
    *,
    engagement: Engagement,
    by: User,
    new_target_end_date: date,
    team_add: Iterable[User],
    team_remove: Iterable[User],
    expectations: str,
) -> EngagementReset:
    """Formally reset a troubled engagement: new date, team changes, expectations."""
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    if not expectations.strip():
        raise ValidationError({"expectations": "Say what is expected from here on."})
    if engagement.start_date and new_target_end_date < engagement.start_date:
        raise ValidationError(
            {"new_target_end_date": "The new target date is before the engagement's start."}
        )
    if engagement.status == Engagement.Status.CLOSED:
        raise ValidationError("A closed engagement cannot be reset.")
    team_add, team_remove = list(team_add), list(team_remove)
    if {u.pk for u in team_add} & {u.pk for u in team_remove}:
        raise ValidationError("Nobody can be added and removed in the same reset.")
    reset = EngagementReset.objects.create(
        engagement=engagement,
        previous_target_end_date=engagement.target_end_date,
        new_target_end_date=new_target_end_date,
        previous_status=engagement.status,
        expectations=expectations.strip(),
        reset_by=by,
    )
    reset.team_added.set(team_add)
    reset.team_removed.set(team_remove)
    engagement.team.add(*team_add)
    engagement.team.remove(*team_remove)
    engagement.target_end_date = new_target_end_date
    engagement.status = Engagement.Status.RESET
    engagement.save(update_fields=["target_end_date", "status", "updated_at"])

    previous = reset.previous_target_end_date
    changes = [
        f"target date {previous.isoformat() if previous else 'none'} → "
        f"{new_target_end_date.isoformat()}"
    ]
    if team_add:
        changes.append("added " + ", ".join(str(u) for u in team_add))
    if team_remove:
        changes.append("removed " + ", ".join(str(u) for u in team_remove))
    activity_record(
        engagement=engagement,
        kind=Activity.Kind.RESET,
        summary="Engagement reset: " + "; ".join(changes),
        body=reset.expectations,
        actor=by,
    )
    return reset


# --- Stakeholders ----------------------------------------------------------------------


@transaction.atomic
def stakeholder_save(
    *, stakeholder: Stakeholder, engagements: Iterable[Engagement] | None = None
) -> Stakeholder:
    stakeholder.full_clean()
    stakeholder.save()
    if engagements is not None:
        engagements = list(engagements)
        foreign = [e for e in engagements if e.client_id != stakeholder.client_id]
        if foreign:
            raise ValidationError({"engagements": "Pick engagements of this client only."})
        stakeholder.engagements.set(engagements)
    return stakeholder


@transaction.atomic
def stakeholder_add_to_engagement(
    *, engagement: Engagement, name: str, title: str = "", email: str = "", role: str
) -> Stakeholder:
    """Put a person on the engagement: the client's stakeholder of that name, or a new one.

    The name is matched regardless of case. A known stakeholder keeps the title and
    email already recorded (only blanks are filled in) and takes the role given.
    """
    stakeholder = Stakeholder.objects.filter(
        client=engagement.client, name__iexact=name
    ).first() or Stakeholder(client=engagement.client, name=name)
    stakeholder.title = stakeholder.title or title
    stakeholder.email = stakeholder.email or email
    stakeholder.role = role
    stakeholder.full_clean()
    stakeholder.save()
    stakeholder.engagements.add(engagement)
    return stakeholder


# --- Pain points -----------------------------------------------------------------------


def _check_stakeholders_belong(engagement: Engagement, stakeholders: Iterable[Stakeholder]) -> None:
    if any(s.client_id != engagement.client_id for s in stakeholders):
        raise ValidationError({"affected_stakeholders": "Pick stakeholders of this client."})


@transaction.atomic
def pain_point_log(
    *,
    engagement: Engagement,
    by: User,
    affected_stakeholders: Iterable[Stakeholder] = (),
    **fields,
) -> PainPoint:
    """Record a client pain point (with its numbers, for scaling) on the engagement."""
    affected_stakeholders = list(affected_stakeholders)
    _check_stakeholders_belong(engagement, affected_stakeholders)
    pain_point = PainPoint(engagement=engagement, identified_by=by, **fields)
    if pain_point.status == PainPoint.Status.RESOLVED and pain_point.resolved_on is None:
        pain_point.resolved_on = timezone.localdate()
    pain_point.full_clean()
    pain_point.save()
    pain_point.affected_stakeholders.set(affected_stakeholders)
    summary = f"Pain point logged: {pain_point.title} ({pain_point.get_severity_display()}"
    projection = pain_point.projection()
    summary += f"; {projection.text})" if projection else ")"
    activity_record(engagement=engagement, kind=Activity.Kind.PAIN_POINT, summary=summary, actor=by)
    return pain_point


@transaction.atomic
def pain_point_update(
    *,
    pain_point: PainPoint,
    by: User,
    affected_stakeholders: Iterable[Stakeholder] | None = None,
    **fields,
) -> PainPoint:
    pain_point = PainPoint.objects.select_for_update().get(pk=pain_point.pk)
    previous_status = pain_point.status
    for name, value in fields.items():
        setattr(pain_point, name, value)
    if pain_point.status == PainPoint.Status.RESOLVED:
        pain_point.resolved_on = pain_point.resolved_on or timezone.localdate()
    else:
        pain_point.resolved_on = None
    pain_point.full_clean()
    pain_point.save()
    if affected_stakeholders is not None:
        affected_stakeholders = list(affected_stakeholders)
        _check_stakeholders_belong(pain_point.engagement, affected_stakeholders)
        pain_point.affected_stakeholders.set(affected_stakeholders)
    if pain_point.status != previous_status:
        activity_record(
            engagement=pain_point.engagement,
            kind=Activity.Kind.PAIN_POINT,
            summary=f"Pain point {pain_point.get_status_display().lower()}: {pain_point.title}",
            body=pain_point.resolution if pain_point.status == PainPoint.Status.RESOLVED else "",
            actor=by,
        )
    return pain_point


# --- Recommendations -------------------------------------------------------------------


def _check_pain_point_belongs(engagement: Engagement, pain_point: PainPoint | None) -> None:
    if pain_point is not None and pain_point.engagement_id != engagement.pk:
        raise ValidationError({"pain_point": "Pick a pain point of this engagement."})


def recommendation_create(*, engagement: Engagement, by: User, **fields: Any) -> Recommendation:
    _check_pain_point_belongs(engagement, fields.get("pain_point"))
    recommendation = Recommendation(engagement=engagement, created_by=by, **fields)
    recommendation.full_clean()
    recommendation.save()
    return recommendation


@transaction.atomic
def recommendation_update(*, recommendation: Recommendation, **fields: Any) -> Recommendation:
    """Edit what was advised; the decision goes through ``recommendation_decide``.

    Only the given fields are written, on a fresh locked copy: a decision recorded
    since the caller loaded the recommendation stays recorded.
    """
    recommendation = (
        Recommendation.objects.select_for_update()
        .select_related("engagement")
        .get(pk=recommendation.pk)
    )
    _check_pain_point_belongs(recommendation.engagement, fields.get("pain_point"))
    for name, value in fields.items():
        setattr(recommendation, name, value)
    recommendation.full_clean()
    recommendation.save(update_fields=list(fields))
    return recommendation


@transaction.atomic
def recommendation_decide(
    *,
    recommendation: Recommendation,
    by: User,
    status: str,
    decided_by_name: str,
    decided_by_role: str,
    decided_on: date | None,
    decision_reason: str,
) -> Recommendation:
    """Record the client's decision on a recommendation; deferring or declining needs a reason."""
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    decision_reason = decision_reason.strip()
    if status in Recommendation.NEEDS_REASON and not decision_reason:
        raise ValidationError(
            {"decision_reason": f"Say why it was {Recommendation.Status(status).label.lower()}."}
        )
    if status == Recommendation.Status.PROPOSED:
        raise ValidationError({"status": "Choose the decision that was made."})
    recommendation.status = status
    recommendation.decided_by_name = decided_by_name.strip()
    recommendation.decided_by_role = decided_by_role.strip()
    recommendation.decided_on = decided_on or timezone.localdate()
    recommendation.decision_reason = decision_reason
    recommendation.full_clean()
    recommendation.save()
    who = f" by {recommendation.decided_by}" if recommendation.decided_by else ""
    activity_record(
        engagement=recommendation.engagement,
        kind=Activity.Kind.RECOMMENDATION,
        summary=f"Recommendation {recommendation.get_status_display().lower()}{who}: "
        f"{recommendation.title}",
        body=decision_reason,
        actor=by,
    )
    return recommendation


# --- Follow-ups ------------------------------------------------------------------------


def followup_create(*, engagement: Engagement, by: User, **fields: Any) -> FollowUp:
    stakeholder = fields.get("stakeholder")
    if stakeholder is not None and stakeholder.client_id != engagement.client_id:
        raise ValidationError({"stakeholder": "Pick a stakeholder of this client."})
    followup = FollowUp(engagement=engagement, created_by=by, **fields)
    followup.full_clean()
    followup.save()
    return followup


@transaction.atomic
def followup_complete(*, followup: FollowUp, by: User) -> FollowUp:
    """Mark a follow-up done (idempotent: completing it again changes nothing)."""
    followup = FollowUp.objects.select_for_update().select_related("engagement").get(pk=followup.pk)
    if followup.status == FollowUp.Status.DONE:
        return followup
    if followup.status == FollowUp.Status.CANCELLED:
        raise ValidationError("A cancelled follow-up cannot be marked done.")
    followup.status = FollowUp.Status.DONE
    followup.completed_at = timezone.now()
    followup.save(update_fields=["status", "completed_at"])
    activity_record(
        engagement=followup.engagement,
        kind=Activity.Kind.FOLLOWUP,
        summary=f"Follow-up done: {followup.title}",
        actor=by,
    )
    return followup


@transaction.atomic
def followup_cancel(*, followup: FollowUp, by: User) -> FollowUp:
    """Cancel an open follow-up (idempotent: cancelling it again changes nothing)."""
    followup = FollowUp.objects.select_for_update().select_related("engagement").get(pk=followup.pk)
    if followup.status == FollowUp.Status.CANCELLED:
        return followup
    if followup.status != FollowUp.Status.OPEN:
        raise ValidationError("Only an open follow-up can be cancelled.")
    followup.status = FollowUp.Status.CANCELLED
    followup.save(update_fields=["status"])
    activity_record(
        engagement=followup.engagement,
        kind=Activity.Kind.FOLLOWUP,
        summary=f"Follow-up cancelled: {followup.title}",
        actor=by,
    )
    return followup


# --- Escalations -----------------------------------------------------------------------


@dataclass(frozen=True)
class EscalationCheck:
    """Highly affected stakeholders an escalation leaves out (the user may confirm anyway)."""

    left_out: list[Stakeholder]

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.left_out)

    @property
    def warning(self) -> str:
        names = ", ".join(s.name for s in self.left_out)
        return (
            f"This escalation leaves out {names}, marked as highly affected. "
            "Add them, or confirm that they should not be on it."
        )


def escalation_check(
    *, engagement: Engagement, affected_stakeholders: Iterable[Stakeholder]
) -> EscalationCheck:
    chosen = {s.pk for s in affected_stakeholders}
    highly_affected = engagement.stakeholders.filter(affected=Level.HIGH).order_by("name")
    return EscalationCheck(left_out=[s for s in highly_affected if s.pk not in chosen])


@transaction.atomic
def escalation_raise(
    *,
    engagement: Engagement,
    by: User,
    affected_stakeholders: Iterable[Stakeholder],
    confirmed: bool = False,
    **fields,
) -> Escalation | EscalationCheck:
    """Raise an escalation, or return the check to confirm when it leaves out key people."""
    affected_stakeholders = list(affected_stakeholders)
    _check_stakeholders_belong(engagement, affected_stakeholders)
    check = escalation_check(engagement=engagement, affected_stakeholders=affected_stakeholders)
    if check.needs_confirmation and not confirmed:
        return check
    escalation = Escalation(engagement=engagement, raised_by=by, **fields)
    escalation.full_clean()
    escalation.save()
    escalation.affected_stakeholders.set(affected_stakeholders)
    body = ""
    if check.left_out:
        body = "Raised without: " + ", ".join(s.name for s in check.left_out)
    activity_record(
        engagement=engagement,
        kind=Activity.Kind.ESCALATION,
        summary=f"Escalation raised ({escalation.get_severity_display()}): {escalation.title}",
        body=body,
        actor=by,
    )
    return escalation


@transaction.atomic
def escalation_update(*, escalation: Escalation, by: User, status: str) -> Escalation:
    """Move an escalation to ``status`` (idempotent: the same status again changes nothing)."""
    # The status before is read under the lock, not from the caller's copy, so two people
    # making the same change leave one timeline entry.
    escalation = (
        Escalation.objects.select_for_update().select_related("engagement").get(pk=escalation.pk)
    )
    previous = escalation.status
    if previous == status:
        return escalation
    escalation.status = status
    escalation.full_clean()
    escalation.save(update_fields=["status"])
    activity_record(
        engagement=escalation.engagement,
        kind=Activity.Kind.ESCALATION,
        summary=f"Escalation {escalation.get_status_display().lower()}: {escalation.title}",
        actor=by,
    )
    return escalation
