"""Risk scans: set-based checks over one tenant that raise, refresh and resolve ``Risk`` rows.

Each scan computes its *findings* -- ``{subject_key: Finding}`` -- with a fixed number
of queries whatever the number of rows examined, then ``_risks_sync`` reconciles them
with the unresolved risks of that kind in one transaction:

- a finding without an unresolved risk creates one (``first_seen = last_seen = now``);
- a finding whose title, severity, evidence, projected date, engagement or privacy
  changed updates its risk and ``last_seen``. An unchanged finding is left alone, except
  that ``last_seen`` is refreshed once it is an hour old: a scan that runs again within
  the hour therefore changes nothing at all (the idempotence the tests check), while
  "last seen" on a long-standing risk is never more than an hour stale;
- an unresolved risk no longer found is resolved (``resolved_at = now``), one UPDATE.

Notifications carry a ``source_key`` such as ``risk:<id>:owner``; a second run finds
the key already notified and notifies nobody.

Privacy: an overload risk has ``private_to`` set to the person's manager. Any listing
shown to more than that one person must filter ``Q(private_to__isnull=True) |
Q(private_to=user)``; shared dashboards must exclude ``private_to__isnull=False``
entirely. Overload is read from *named* check-ins only; anonymous pulse answers are
never used for anything about an individual.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Max, Prefetch, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format as _date_format

from capacity.burn import engagement_burns
from capacity.hours import allocated_hours, capacity_hours, mondays
from engagements.models import Engagement, FollowUp, PainPoint, Recommendation
from engagements.projections import ProjectionState, capacity_projection
from handoffs.models import HandoffPacket
from handoffs.selectors import business_days_between
from health.checkins.weekly import week_ended_before
from health.models import Risk
from health.weeks import closed_weeks
from psops.accounts.models import OrganizationSettings, Role, User
from psops.notifications import Notice, notify_many
from psops.ui.numbers import counted, grouped_decimal


@functools.lru_cache(maxsize=4096)
def date_format(day: date) -> str:
    """A day as every page writes it; remembered, since a scan writes the same few
    hundred days into thousands of risks (the format is fixed per process)."""
    return _date_format(day)


LAST_SEEN_REFRESH = timedelta(hours=1)
SYNC_BATCH = 500  # rows per bulk write of a sync
OVERLOAD_WEEKS = 3
CHANGEABLE_FIELDS = (
    "title",
    "severity",
    "evidence",
    "projected_date",
    "engagement_id",
    "private_to_id",
)


@dataclass(frozen=True)
class Finding:
    title: str
    severity: str
    evidence: str
    projected_date: date | None = None
    engagement_id: int | None = None
    private_to_id: int | None = None


@dataclass
class SyncResult:
    created: list[Risk]
    updated: list[Risk]
    resolved: int
    # Every unresolved risk after the sync, by subject key (for notifications).
    current: dict[str, Risk]


@transaction.atomic
def _risks_sync(*, kind: str, findings: dict[str, Finding], now: datetime) -> SyncResult:
    """Reconcile ``findings`` with the unresolved risks of ``kind``: a read, a bulk
    create, bulk updates of the changed risks in batches, one UPDATE of ``last_seen``
    for those only seen again, one UPDATE for those resolved.

    Batches, because one ``bulk_update`` of every row is a CASE with a branch per row
    for each field, which PostgreSQL evaluates per row: its cost grows with the square
    of the rows (tens of thousands of risks took minutes and gigabytes).

    Two syncs of the same kind in the same organization (a slow pass overlapping the
    next) take turns on a transaction-scoped advisory lock rather than locking every
    risk row, which would write to each of them even when nothing changed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"risk-sync:{connection.schema_name}:{kind}"],  # type: ignore[attr-defined]
        )
    existing = {
        risk.subject_key: risk
        for risk in Risk.objects.filter(kind=kind)
        .exclude(status=Risk.Status.RESOLVED)
        .only("id", "subject_key", "status", "last_seen", *CHANGEABLE_FIELDS)
    }
    created, updated, seen_again = [], [], []
    for subject_key, finding in findings.items():
        risk = existing.get(subject_key)
        if risk is None:
            created.append(
                Risk(
                    kind=kind,
                    subject_key=subject_key,
                    first_seen=now,
                    last_seen=now,
                    **finding.__dict__,
                )
            )
            continue
        changed = any(getattr(risk, f) != getattr(finding, f) for f in CHANGEABLE_FIELDS)
        if changed:
            for field in CHANGEABLE_FIELDS:
                setattr(risk, field, getattr(finding, field))
            risk.last_seen = now
            updated.append(risk)
        elif now - risk.last_seen >= LAST_SEEN_REFRESH:
            risk.last_seen = now
            seen_again.append(risk)
    if created:
        created = Risk.objects.bulk_create(created, batch_size=SYNC_BATCH)
    if updated:
        Risk.objects.bulk_update(updated, [*CHANGEABLE_FIELDS, "last_seen"], batch_size=SYNC_BATCH)
    if seen_again:
        Risk.objects.filter(pk__in=[risk.pk for risk in seen_again]).update(last_seen=now)
    updated += seen_again
    gone = [risk.pk for key, risk in existing.items() if key not in findings]
    resolved = 0
    if gone:
        resolved = Risk.objects.filter(pk__in=gone).update(
            status=Risk.Status.RESOLVED, resolved_at=now
        )
    current = {key: risk for key, risk in existing.items() if key in findings}
    current.update({risk.subject_key: risk for risk in created})
    return SyncResult(created=created, updated=updated, resolved=resolved, current=current)


def _leaders() -> list[User]:
    return list(User.objects.filter(role=Role.LEADER, is_active=True))


def _today(now: datetime) -> date:
    return timezone.localdate(now)


# --- Scaling -----------------------------------------------------------------------------


def _scaling_severity(days: int) -> str:
    if days < 30:
        return Risk.Severity.CRITICAL
    if days < 90:
        return Risk.Severity.HIGH
    return Risk.Severity.MEDIUM


def risk_scan_scaling(*, now: datetime) -> SyncResult:
    """Open scaling pain points projected to reach capacity within the tenant's horizon.

    Severity rises as the date nears (under 30 days: critical). A deferred or declined
    recommendation for the pain point is named in the evidence, with its date, who
    decided and why: the leader reading the risk sees that a fix was offered.
    """
    today = _today(now)
    horizon = OrganizationSettings.current().scaling_horizon_days
    pain_points = PainPoint.objects.filter(
        category=PainPoint.Category.SCALING,
        status__in=PainPoint.OPEN_STATUSES,
        # The stored projection (the same function's answer) narrows it to the walls
        # within the horizon before any row is read.
        days_to_capacity__lte=horizon,
    ).prefetch_related(
        Prefetch(
            "recommendations",
            queryset=Recommendation.objects.filter(status__in=Recommendation.NEEDS_REASON).order_by(
                "-proposed_on", "-id"
            ),
            to_attr="turned_down",
        )
    )
    findings = {}
    for pain_point in pain_points:
        projection = capacity_projection(
            current=pain_point.current_value,
            capacity=pain_point.capacity,
            monthly_growth_pct=pain_point.monthly_growth_pct,
            today=today,
        )
        if projection.state is ProjectionState.NOT_WITHIN_HORIZON:
            continue
        days = projection.days_from(today)
        if days > horizon:
            continue
        unit = f" {pain_point.metric_unit}" if pain_point.metric_unit else ""
        lines = [
            f"{pain_point.metric_name}: {grouped_decimal(pain_point.current_value)}{unit} of "
            f"{grouped_decimal(pain_point.capacity)}{unit} capacity, growing "
            f"{grouped_decimal(pain_point.monthly_growth_pct)}% a month; {projection.text} "
            f"({counted(days, 'day')})."
        ]
        for recommendation in pain_point.turned_down:
            who = recommendation.decided_by or "the client"
            lines.append(
                f"Fix proposed {date_format(recommendation.proposed_on)} "
                f"(“{recommendation.title}”), {recommendation.get_status_display().lower()} "
                f"by {who}: {recommendation.decision_reason}"
            )
        findings[f"painpoint:{pain_point.pk}"] = Finding(
            title=f"{pain_point.title}: capacity reached around "
            f"{date_format(projection.reached_on)}",
            severity=_scaling_severity(days),
            evidence="\n".join(lines),
            projected_date=projection.reached_on,
            engagement_id=pain_point.engagement_id,
        )
    return _risks_sync(kind=Risk.Kind.SCALING, findings=findings, now=now)


# --- Overdue follow-ups ------------------------------------------------------------------


def risk_scan_overdue_followups(*, now: datetime) -> SyncResult:
    """Open follow-ups past their due date: the owner is told; past the tenant's
    escalation days the engagement lead and the PS leaders are told too. Done or
    cancelled resolves the risk."""
    today = _today(now)
    escalation_days = OrganizationSettings.current().followup_escalation_days
    people = ("id", "email", "full_name", "is_active")
    followups = list(
        FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_on__lt=today)
        .select_related("owner", "engagement", "engagement__lead")
        .only(
            "id",
            "title",
            "due_on",
            "engagement__id",
            "engagement__name",
            *(f"owner__{field}" for field in people),
            *(f"engagement__lead__{field}" for field in people),
        )
    )
    findings, by_key = {}, {}
    for followup in followups:
        days = (today - followup.due_on).days
        escalated = days > escalation_days
        key = f"followup:{followup.pk}"
        by_key[key] = (followup, escalated)
        evidence = (
            f"Due {date_format(followup.due_on)}, {counted(days, 'day')} overdue; owner "
            f"{followup.owner.display_name}; engagement {followup.engagement.name}."
        )
        if escalated:
            evidence += f" Escalated: more than {counted(escalation_days, 'day')} overdue."
        findings[key] = Finding(
            title=f"Follow-up overdue: {followup.title}",
            severity=Risk.Severity.HIGH if escalated else Risk.Severity.MEDIUM,
            evidence=evidence,
            engagement_id=followup.engagement_id,
        )
    leaders = _leaders() if any(escalated for _, escalated in by_key.values()) else []
    with transaction.atomic():
        result = _risks_sync(kind=Risk.Kind.OVERDUE_FOLLOWUP, findings=findings, now=now)
        notices = []
        for key, (followup, escalated) in by_key.items():
            risk = result.current[key]
            notices.append(
                Notice(followup.owner, f"risk:{risk.pk}:owner", risk.title, risk.evidence)
            )
            if escalated:
                recipients = {u.pk: u for u in leaders}
                if followup.engagement.lead:
                    recipients[followup.engagement.lead.pk] = followup.engagement.lead
                notices += [
                    Notice(
                        u, f"risk:{risk.pk}:escalated", f"Escalated: {risk.title}", risk.evidence
                    )
                    for u in recipients.values()
                ]
        notify_many(notices)
    return result


# --- Stuck handoff reviews ---------------------------------------------------------------


def risk_scan_stuck_reviews(*, now: datetime) -> SyncResult:
    """Submitted handoff packets older than the review SLA (business days): leaders are told."""
    today = _today(now)
    sla = OrganizationSettings.current().review_sla_business_days
    packets = HandoffPacket.objects.filter(
        status=HandoffPacket.Status.SUBMITTED, submitted_at__isnull=False
    ).select_related("assigned_reviewer")
    findings = {}
    for packet in packets:
        age = business_days_between(timezone.localdate(packet.submitted_at), today)
        if age <= sla:
            continue
        reviewer = packet.assigned_reviewer.display_name if packet.assigned_reviewer else "nobody"
        findings[f"handoff:{packet.pk}"] = Finding(
            title=f"Handoff review stuck: {packet.deal_name}",
            severity=Risk.Severity.HIGH if age > 2 * sla else Risk.Severity.MEDIUM,
            evidence=f"Submitted {date_format(timezone.localdate(packet.submitted_at))}, "
            f"waiting {counted(age, 'business day')} (SLA {sla}); reviewer: {reviewer}.",
        )
    with transaction.atomic():
        result = _risks_sync(kind=Risk.Kind.STUCK_REVIEW, findings=findings, now=now)
        leaders = _leaders() if result.current else []
        notify_many(
            [
                Notice(leader, f"risk:{risk.pk}:leaders", risk.title, risk.evidence)
                for risk in result.current.values()
                for leader in leaders
            ]
        )
    return result


# --- Stale engagements -------------------------------------------------------------------


def risk_scan_stale_engagements(*, now: datetime) -> SyncResult:
    """Active engagements with no timeline activity for the tenant's stale days (21).

    An engagement without any activity counts from its creation.
    """
    stale_days = OrganizationSettings.current().stale_engagement_days
    cutoff = now - timedelta(days=stale_days)
    engagements = (
        Engagement.objects.filter(status=Engagement.Status.ACTIVE)
        .annotate(last_activity=Coalesce(Max("activities__occurred_at"), "created_at"))
        .filter(last_activity__lt=cutoff)
        .select_related("client")
    )
    findings = {}
    for engagement in engagements:
        last = timezone.localdate(engagement.last_activity)
        days = (_today(now) - last).days
        findings[f"engagement:{engagement.pk}"] = Finding(
            title=f"No activity on {engagement.name} ({engagement.client.name})",
            severity=Risk.Severity.HIGH if days > 2 * stale_days else Risk.Severity.MEDIUM,
            evidence=f"Last timeline activity {date_format(last)}, {counted(days, 'day')} ago "
            f"(stale after {stale_days}).",
            engagement_id=engagement.pk,
        )
    return _risks_sync(kind=Risk.Kind.STALE_ENGAGEMENT, findings=findings, now=now)


# --- Overload ----------------------------------------------------------------------------


def risk_scan_overload(*, now: datetime) -> SyncResult:
    """A named check-in with workload 5 in each of the last three closed ISO weeks.

    Private to the person's manager (no manager: no risk), who alone is notified. The
    evidence says no more than "workload 5 for 3 weeks running". A manager set during
    those weeks is not told: the earlier weeks' check-ins were for the previous
    manager (``health.checkins.weekly``), and the risk would say what they held.
    """
    weeks = closed_weeks(today=_today(now), count=OVERLOAD_WEEKS)
    week_q = Q()
    for week in weeks:
        week_q |= Q(checkins__iso_year=week.year, checkins__iso_week=week.week)
    people = (
        User.objects.filter(is_active=True, manager__isnull=False, manager__is_active=True)
        .annotate(overloaded_weeks=Count("checkins", filter=week_q & Q(checkins__workload=5)))
        .filter(overloaded_weeks=OVERLOAD_WEEKS)
        .select_related("manager")
    )
    findings, managers = {}, {}
    for person in people:
        if week_ended_before(
            week=weeks[0], moment=person.manager_since, time_zone=person.time_zone
        ):
            continue
        key = f"user:{person.pk}"
        managers[key] = person.manager
        findings[key] = Finding(
            title=f"{person.display_name} may be overloaded",
            severity=Risk.Severity.HIGH,
            evidence=f"{person.display_name}'s check-ins: workload 5 for 3 weeks running "
            f"({weeks[0]} to {weeks[-1]}). Worth raising in your next 1:1.",
            private_to_id=person.manager_id,
        )
    with transaction.atomic():
        result = _risks_sync(kind=Risk.Kind.OVERLOAD, findings=findings, now=now)
        notify_many(
            [
                Notice(
                    managers[key],
                    f"risk:{risk.pk}:manager:{risk.private_to_id}",
                    risk.title,
                    risk.evidence,
                )
                for key, risk in result.current.items()
            ]
        )
    return result


# --- Over-allocation ---------------------------------------------------------------------

OVER_ALLOCATION_WEEKS = 12  # looked ahead, from the current week
OVER_ALLOCATION_MIN_WEEKS = 2  # above capacity in at least this many of them


def risk_scan_over_allocation(*, now: datetime) -> SyncResult:
    """A person whose allocations (tentative or confirmed) ask more than their capacity
    in two or more of the next twelve weeks. Shared with the leaders, who plan, and
    with the person's manager (``health.risks.selectors``); both are told. The
    evidence names the weeks and hours, never why someone is away."""
    weeks = mondays(_today(now), OVER_ALLOCATION_WEEKS)
    people = {
        person.pk: person
        for person in User.objects.filter(
            is_active=True,
            allocations__packet__isnull=True,
            allocations__starts_on__lte=weeks[-1] + timedelta(days=6),
            allocations__ends_on__gte=weeks[0],
        )
        .distinct()
        .select_related("manager")
    }
    capacity = capacity_hours(person_ids=people, weeks=weeks)
    allocated = allocated_hours(person_ids=people, weeks=weeks)
    findings, recipients = {}, {}
    for person_id, person in people.items():
        over = [
            (monday, allocated[person_id][monday], capacity[person_id][monday])
            for monday in weeks
            if allocated[person_id][monday] > capacity[person_id][monday]
        ]
        if len(over) < OVER_ALLOCATION_MIN_WEEKS:
            continue
        worst = max(
            (hours / limit if limit else Decimal(99) for _, hours, limit in over),
            default=Decimal(0),
        )
        key = f"user:{person_id}"
        recipients[key] = person.manager if person.manager and person.manager.is_active else None
        lines = [
            f"Week of {date_format(monday)}: {grouped_decimal(hours)} h allocated of "
            f"{grouped_decimal(limit)} h capacity."
            for monday, hours, limit in over
        ]
        findings[key] = Finding(
            title=f"{person.display_name} is over-allocated in {counted(len(over), 'week')}",
            severity=Risk.Severity.HIGH if worst > Decimal("1.25") else Risk.Severity.MEDIUM,
            evidence="\n".join(lines),
            projected_date=over[0][0],
        )
    with transaction.atomic():
        result = _risks_sync(kind=Risk.Kind.OVER_ALLOCATION, findings=findings, now=now)
        leaders = _leaders() if result.current else []
        notices = []
        for key, risk in result.current.items():
            told = {leader.pk: leader for leader in leaders}
            manager = recipients.get(key)
            if manager is not None:
                told[manager.pk] = manager
            notices += [
                Notice(person, f"risk:{risk.pk}:planning:{person.pk}", risk.title, risk.evidence)
                for person in told.values()
            ]
        notify_many(notices)
    return result


# --- Budget burn -------------------------------------------------------------------------


def risk_scan_budget_burn(*, now: datetime) -> SyncResult:
    """An active engagement whose forecast at the current burn rate passes its budget
    before the target end date (``capacity.burn``). The lead is told."""
    today = _today(now)
    engagements = {
        engagement.pk: engagement
        for engagement in Engagement.objects.filter(
            status=Engagement.Status.ACTIVE,
            budget_hours__isnull=False,
            target_end_date__gte=today,
        ).select_related("client", "lead")
    }
    burns = engagement_burns(engagement_ids=engagements, today=today)
    findings, leads = {}, {}
    for pk, burn in burns.items():
        if not burn.off_track:
            continue
        engagement = engagements[pk]
        key = f"engagement:{pk}"
        leads[key] = engagement.lead
        runs_out = (
            f" At this rate the budget runs out on {date_format(burn.exhausted_on)}."
            if burn.exhausted_on
            else ""
        )
        evidence = (
            f"{grouped_decimal(burn.logged_hours)} h of {burn.budget_hours} h logged "
            f"({burn.percent_used}%), {grouped_decimal(burn.weekly_rate)} h a week over the "
            f"last four weeks: {grouped_decimal(burn.forecast_hours)} h forecast by the "
            f"target end, {date_format(engagement.target_end_date)}.{runs_out}"
        )
        findings[key] = Finding(
            title=f"{engagement.name} ({engagement.client.name}) is burning past its budget",
            severity=Risk.Severity.HIGH
            if burn.logged_hours >= burn.budget_hours
            else Risk.Severity.MEDIUM,
            evidence=evidence,
            projected_date=burn.exhausted_on,
            engagement_id=pk,
        )
    with transaction.atomic():
        result = _risks_sync(kind=Risk.Kind.BUDGET_BURN, findings=findings, now=now)
        notify_many(
            [
                Notice(leads[key], f"risk:{risk.pk}:lead", risk.title, risk.evidence)
                for key, risk in result.current.items()
                if leads.get(key) is not None and leads[key].is_active
            ]
        )
    return result


SCANS: dict[str, Callable[..., SyncResult]] = {
    Risk.Kind.SCALING: risk_scan_scaling,
    Risk.Kind.OVERDUE_FOLLOWUP: risk_scan_overdue_followups,
    Risk.Kind.STUCK_REVIEW: risk_scan_stuck_reviews,
    Risk.Kind.STALE_ENGAGEMENT: risk_scan_stale_engagements,
    Risk.Kind.OVERLOAD: risk_scan_overload,
    Risk.Kind.OVER_ALLOCATION: risk_scan_over_allocation,
    Risk.Kind.BUDGET_BURN: risk_scan_budget_burn,
}


def risk_scans_run(*, now: datetime) -> dict[str, dict[str, int]]:
    """Run every scan in the current tenant's schema; counts per kind."""
    summary = {}
    for kind, scan in SCANS.items():
        with transaction.atomic():
            result = scan(now=now)
        summary[str(kind)] = {
            "created": len(result.created),
            "updated": len(result.updated),
            "resolved": result.resolved,
            "open": len(result.current),
        }
    return summary
