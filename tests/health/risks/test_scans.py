"""Risk scans: each raises the risk a leader would read, is idempotent, resolves what
clears, and costs the same number of queries for 2 rows as for 20."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from engagements.models import Engagement, FollowUp, PainPoint, Recommendation
from handoffs.models import HandoffPacket
from health.models import CheckIn, PulseResponse, Risk
from health.risks.scans import (
    risk_scan_overdue_followups,
    risk_scan_overload,
    risk_scan_scaling,
    risk_scan_stale_engagements,
    risk_scan_stuck_reviews,
    risk_scans_run,
)
from health.weeks import IsoWeek, closed_weeks
from psops.accounts.models import Notification, Role, User
from tests.engagements.factories import (
    ActivityFactory,
    EngagementFactory,
    FollowUpFactory,
    PainPointFactory,
    RecommendationFactory,
)
from tests.factories import UserFactory
from tests.handoffs.factories import HandoffPacketFactory

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
DAY = datetime.timedelta(days=1)


def risks_state() -> list[dict]:
    return list(Risk.objects.order_by("id").values())


def notifications_state() -> list[tuple]:
    return list(
        Notification.objects.order_by("id").values_list("recipient_id", "source_key", "title")
    )


def assert_second_run_changes_nothing(scan, now=NOW):
    scan(now=now)
    risks, notifications = risks_state(), notifications_state()
    assert risks, "the first run raised nothing"
    result = scan(now=now + datetime.timedelta(minutes=15))
    assert (result.created, result.updated, result.resolved) == ([], [], 0)
    assert risks_state() == risks
    assert notifications_state() == notifications


def query_count(scan, now=NOW) -> int:
    with CaptureQueriesContext(connection) as queries:
        scan(now=now)
    return len(queries)


def assert_constant_queries(scan, make_condition, n=2):
    for _ in range(n):
        make_condition()
    small = query_count(scan)
    assert Risk.objects.filter(status="open").count() == n
    for _ in range(9 * n):
        make_condition()
    large = query_count(scan)
    assert Risk.objects.filter(status="open").count() == 10 * n
    assert large == small


# --- Scaling -----------------------------------------------------------------------------


def scaling_pain_point(**fields):
    return PainPointFactory(scaling=True, **fields)


def test_scaling_risk_names_the_deferred_fix_and_is_critical_under_30_days(tenant):
    pain_point = scaling_pain_point(
        title="Order import saturates",
        current_value=Decimal("1450"),
        capacity=Decimal("1500"),
        monthly_growth_pct=Decimal("9.2"),
    )
    RecommendationFactory(
        engagement=pain_point.engagement,
        pain_point=pain_point,
        title="Shard the import queue",
        status=Recommendation.Status.DEFERRED,
        proposed_on=datetime.date(2026, 9, 1),
        decided_by_name="Dana Cole",
        decided_by_role="VP Sales",
        decided_on=datetime.date(2026, 9, 5),
        decision_reason="No budget before Q1.",
    )
    RecommendationFactory(engagement=pain_point.engagement, pain_point=pain_point)  # proposed

    risk_scan_scaling(now=NOW)

    risk = Risk.objects.get(kind=Risk.Kind.SCALING)
    projected = pain_point.projection(today=TODAY).reached_on
    assert risk.subject_key == f"painpoint:{pain_point.pk}"
    assert risk.severity == Risk.Severity.CRITICAL
    assert risk.projected_date == projected
    assert risk.engagement == pain_point.engagement
    assert risk.title == f"Order import saturates: capacity reached around {date_format(projected)}"
    assert (
        "Fix proposed 1 Sep 2026 (“Shard the import queue”), deferred by Dana Cole (VP Sales): "
        "No budget before Q1." in risk.evidence
    )
    assert "Recommendation" not in risk.evidence  # the proposed one is not a refusal


def test_scaling_severity_eases_with_distance_and_stops_at_the_horizon(tenant, org_settings):
    far = scaling_pain_point()  # 1000 of 1500 at 9.2% a month: about 140 days
    risk_scan_scaling(now=NOW)
    assert Risk.objects.get(subject_key=f"painpoint:{far.pk}").severity == Risk.Severity.MEDIUM

    org_settings.scaling_horizon_days = 100
    org_settings.save()
    risk_scan_scaling(now=NOW)
    assert Risk.objects.get(subject_key=f"painpoint:{far.pk}").status == Risk.Status.RESOLVED


def test_scaling_scan_twice_changes_nothing(tenant):
    scaling_pain_point()
    assert_second_run_changes_nothing(risk_scan_scaling)


def test_scaling_risk_resolves_when_the_pain_point_is_resolved_or_moves_past_horizon(tenant):
    resolved = scaling_pain_point()
    outgrown = scaling_pain_point()
    risk_scan_scaling(now=NOW)
    assert Risk.objects.filter(status="open").count() == 2

    PainPoint.objects.filter(pk=resolved.pk).update(
        status=PainPoint.Status.RESOLVED, resolved_on=TODAY, resolution="Sharded."
    )
    PainPoint.objects.filter(pk=outgrown.pk).update(capacity=Decimal("900000"))
    later = NOW + DAY
    risk_scan_scaling(now=later)

    assert set(Risk.objects.values_list("status", "resolved_at")) == {(Risk.Status.RESOLVED, later)}


def test_scaling_scan_query_count_does_not_grow(tenant):
    def condition():
        pain_point = scaling_pain_point()
        RecommendationFactory(
            engagement=pain_point.engagement,
            pain_point=pain_point,
            status=Recommendation.Status.DECLINED,
            decided_by_name="Sam",
            decision_reason="Not now.",
        )

    assert_constant_queries(risk_scan_scaling, condition)


# --- Overdue follow-ups ------------------------------------------------------------------


def test_overdue_followup_notifies_the_owner_and_escalates_only_past_the_days(
    tenant, leader, consultant
):
    lead = UserFactory(role=Role.CONSULTANT)
    bystander = UserFactory(role=Role.CONSULTANT)
    followup = FollowUpFactory(
        engagement=EngagementFactory(lead=lead),
        owner=consultant,
        title="Send the cut-over plan",
        due_on=TODAY - 5 * DAY,
    )

    risk_scan_overdue_followups(now=NOW)  # 5 days overdue: not more than 5

    risk = Risk.objects.get(kind=Risk.Kind.OVERDUE_FOLLOWUP)
    assert risk.title == "Follow-up overdue: Send the cut-over plan"
    assert risk.severity == Risk.Severity.MEDIUM
    assert f"Due {date_format(followup.due_on)}, 5 days overdue" in risk.evidence
    assert notifications_state() == [(consultant.pk, f"risk:{risk.pk}:owner", risk.title)]

    risk_scan_overdue_followups(now=NOW + DAY)  # 6 days overdue

    risk.refresh_from_db()
    assert risk.severity == Risk.Severity.HIGH
    escalated = Notification.objects.filter(source_key=f"risk:{risk.pk}:escalated")
    assert set(escalated.values_list("recipient_id", flat=True)) == {lead.pk, leader.pk}
    assert not Notification.objects.filter(recipient=bystander).exists()
    assert Notification.objects.filter(recipient=consultant).count() == 1


def test_overdue_scan_twice_changes_nothing(tenant, leader):
    FollowUpFactory(due_on=TODAY - 9 * DAY)
    assert_second_run_changes_nothing(risk_scan_overdue_followups)


def test_overdue_risk_resolves_when_done(tenant):
    followup = FollowUpFactory(overdue=True)
    not_yet_due = FollowUpFactory(due_on=TODAY)
    risk_scan_overdue_followups(now=NOW)
    assert Risk.objects.get().subject_key == f"followup:{followup.pk}"

    FollowUp.objects.filter(pk=followup.pk).update(status=FollowUp.Status.DONE, completed_at=NOW)
    risk_scan_overdue_followups(now=NOW)

    assert Risk.objects.get().status == Risk.Status.RESOLVED
    assert not Risk.objects.filter(subject_key=f"followup:{not_yet_due.pk}").exists()


def test_overdue_scan_query_count_does_not_grow(tenant, leader):
    assert_constant_queries(
        risk_scan_overdue_followups, lambda: FollowUpFactory(due_on=TODAY - 9 * DAY)
    )


# --- Stuck handoff reviews ---------------------------------------------------------------


def stuck_packet(**fields):
    return HandoffPacketFactory(submitted=True, submitted_at=NOW - 10 * DAY, **fields)


def test_stuck_review_notifies_the_leaders(tenant, leader, consultant):
    packet = stuck_packet(deal_name="Northwind rollout")
    HandoffPacketFactory(submitted=True, submitted_at=NOW)  # within the SLA

    risk_scan_stuck_reviews(now=NOW)

    risk = Risk.objects.get(kind=Risk.Kind.STUCK_REVIEW)
    assert risk.subject_key == f"handoff:{packet.pk}"
    assert risk.title == "Handoff review stuck: Northwind rollout"
    assert "(SLA 2)" in risk.evidence
    assert notifications_state() == [(leader.pk, f"risk:{risk.pk}:leaders", risk.title)]


def test_stuck_review_scan_twice_changes_nothing(tenant, leader):
    stuck_packet()
    assert_second_run_changes_nothing(risk_scan_stuck_reviews)


def test_stuck_review_resolves_when_decided(tenant, leader):
    packet = stuck_packet()
    risk_scan_stuck_reviews(now=NOW)
    HandoffPacket.objects.filter(pk=packet.pk).update(
        status=HandoffPacket.Status.ACCEPTED, decided_at=NOW
    )
    risk_scan_stuck_reviews(now=NOW)
    assert Risk.objects.get().status == Risk.Status.RESOLVED


def test_stuck_review_scan_query_count_does_not_grow(tenant, leader):
    assert_constant_queries(risk_scan_stuck_reviews, stuck_packet)


# --- Stale engagements -------------------------------------------------------------------


def stale_engagement(**fields):
    engagement = EngagementFactory(**fields)
    ActivityFactory(engagement=engagement, occurred_at=NOW - 30 * DAY)
    return engagement


def test_stale_engagement_raises_a_risk_for_active_engagements_only(tenant):
    stale = stale_engagement(name="Fleet tracking")
    stale_engagement(status=Engagement.Status.CLOSED)
    fresh = stale_engagement()
    ActivityFactory(engagement=fresh, occurred_at=NOW - 2 * DAY)

    risk_scan_stale_engagements(now=NOW)

    risk = Risk.objects.get(kind=Risk.Kind.STALE_ENGAGEMENT)
    assert risk.subject_key == f"engagement:{stale.pk}"
    assert risk.engagement == stale
    assert risk.title.startswith("No activity on Fleet tracking")
    assert "30 days ago (stale after 21)" in risk.evidence


def test_stale_days_are_the_tenants(tenant, org_settings):
    stale_engagement()
    org_settings.stale_engagement_days = 45
    org_settings.save()
    risk_scan_stale_engagements(now=NOW)
    assert not Risk.objects.exists()


def test_stale_scan_twice_changes_nothing(tenant):
    stale_engagement()
    assert_second_run_changes_nothing(risk_scan_stale_engagements)


def test_stale_risk_resolves_on_new_activity(tenant):
    engagement = stale_engagement()
    risk_scan_stale_engagements(now=NOW)
    ActivityFactory(engagement=engagement, occurred_at=NOW)
    risk_scan_stale_engagements(now=NOW)
    assert Risk.objects.get().status == Risk.Status.RESOLVED


def test_stale_scan_query_count_does_not_grow(tenant):
    assert_constant_queries(risk_scan_stale_engagements, stale_engagement)


# --- Overload ----------------------------------------------------------------------------

WEEKS = closed_weeks(today=TODAY, count=3)


def overloaded_person(*, manager, workloads=(5, 5, 5)):
    person = UserFactory(role=Role.CONSULTANT, manager=manager)
    for week, workload in zip(WEEKS, workloads, strict=True):
        CheckIn.objects.create(
            user=person,
            iso_year=week.year,
            iso_week=week.week,
            energy=2,
            workload=workload,
            connection=3,
            boundaries="no",
        )
    return person


def test_overload_is_private_to_the_manager_and_tells_only_them(tenant, leader):
    manager = UserFactory(role=Role.CONSULTANT, full_name="Mia Manager")
    person = overloaded_person(manager=manager)
    overloaded_person(manager=None)  # no manager: nobody to tell, no risk
    overloaded_person(manager=manager, workloads=(5, 4, 5))  # not running

    risk_scan_overload(now=NOW)

    risk = Risk.objects.get(kind=Risk.Kind.OVERLOAD)
    assert risk.subject_key == f"user:{person.pk}"
    assert risk.private_to == manager
    assert risk.engagement is None
    assert "workload 5 for 3 weeks running" in risk.evidence
    assert "energy" not in risk.evidence.lower()
    assert notifications_state() == [
        (manager.pk, f"risk:{risk.pk}:manager:{manager.pk}", risk.title)
    ]


def test_a_new_manager_is_not_told_of_weeks_told_to_the_previous_one(tenant, leader):
    """Overload rests on three weeks of check-ins; a manager set after the first of them
    ended cannot read it on /checkins/team/, so the risk must not say it either."""
    manager = UserFactory(role=Role.CONSULTANT)
    since_last_week = overloaded_person(manager=manager)
    since_last_week.manager_since = datetime.datetime.combine(
        WEEKS[-1].monday, datetime.time(9), tzinfo=datetime.UTC
    )
    since_last_week.save(update_fields=["manager_since"])
    since_before = overloaded_person(manager=manager)
    since_before.manager_since = datetime.datetime.combine(
        WEEKS[0].monday - datetime.timedelta(days=7), datetime.time(9), tzinfo=datetime.UTC
    )
    since_before.save(update_fields=["manager_since"])

    risk_scan_overload(now=NOW)

    assert list(
        Risk.objects.filter(kind=Risk.Kind.OVERLOAD).values_list("subject_key", flat=True)
    ) == [f"user:{since_before.pk}"]
    assert [key for _, key, _ in notifications_state()] == [
        f"risk:{Risk.objects.get().pk}:manager:{manager.pk}"
    ]


def test_anonymous_pulse_answers_never_raise_overload(tenant, leader):
    person = UserFactory(role=Role.CONSULTANT, manager=leader, team="Delivery")
    for week in WEEKS:
        PulseResponse.objects.create(
            iso_year=week.year, iso_week=week.week, team="Delivery", energy=1, workload=5, safety=3
        )
    risk_scan_overload(now=NOW)
    assert not Risk.objects.exists()
    assert person.pk  # a person with a manager existed and was not singled out


def test_overload_scan_twice_changes_nothing(tenant, leader):
    overloaded_person(manager=leader)
    assert_second_run_changes_nothing(risk_scan_overload)


def test_overload_resolves_when_a_week_eases(tenant, leader):
    person = overloaded_person(manager=leader)
    risk_scan_overload(now=NOW)
    CheckIn.objects.filter(user=person, iso_week=WEEKS[1].week).update(workload=3)
    risk_scan_overload(now=NOW)
    assert Risk.objects.get().status == Risk.Status.RESOLVED


def test_overload_scan_query_count_does_not_grow(tenant, leader):
    assert_constant_queries(risk_scan_overload, lambda: overloaded_person(manager=leader))


# --- Engine ------------------------------------------------------------------------------


def test_the_database_refuses_a_second_unresolved_risk_for_a_subject(tenant):
    fields = {"kind": Risk.Kind.STALE_ENGAGEMENT, "subject_key": "engagement:1", "title": "t"}
    fields |= {"severity": "medium", "evidence": "e", "first_seen": NOW, "last_seen": NOW}
    first = Risk.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.create(**fields)
    Risk.objects.filter(pk=first.pk).update(status=Risk.Status.RESOLVED, resolved_at=NOW)
    Risk.objects.create(**fields)  # a resolved one does not block a new one
    assert Risk.objects.count() == 2


def test_last_seen_is_refreshed_hourly_when_nothing_changed(tenant):
    stale_engagement()
    risk_scan_stale_engagements(now=NOW)
    risk_scan_stale_engagements(now=NOW + datetime.timedelta(minutes=59))
    assert Risk.objects.get().last_seen == NOW
    risk_scan_stale_engagements(now=NOW + datetime.timedelta(hours=1))
    assert Risk.objects.get().last_seen == NOW + datetime.timedelta(hours=1)


def test_a_large_sync_writes_in_batches_and_refreshes_in_one_statement(tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from health.risks.scans import SYNC_BATCH, Finding, _risks_sync
    from psops.audit.context import without_context

    count = SYNC_BATCH * 2 + 10
    findings = {
        f"engagement:{n}": Finding(title=f"Risk {n}", severity="medium", evidence="e")
        for n in range(count)
    }
    _risks_sync(kind=Risk.Kind.STALE_ENGAGEMENT, findings=findings, now=NOW)
    assert Risk.objects.count() == count

    # An hour later, a third of them changed and the rest are only seen again.
    later = NOW + datetime.timedelta(hours=1)
    changed = {key for index, key in enumerate(findings) if index % 3 == 0}
    for key in changed:
        findings[key] = Finding(title=findings[key].title, severity="high", evidence="worse")
    with CaptureQueriesContext(connection) as queries:
        result = _risks_sync(kind=Risk.Kind.STALE_ENGAGEMENT, findings=findings, now=later)

    assert len(result.updated) == count
    statements = [without_context(q["sql"]) for q in queries.captured_queries]
    writes = [sql for sql in statements if sql.startswith("UPDATE")]
    # ceil(len(changed) / batch) batched updates and one refresh of last_seen.
    assert len(writes) == -(-len(changed) // SYNC_BATCH) + 1
    assert Risk.objects.filter(last_seen=later).count() == count
    assert Risk.objects.filter(severity="high").count() == len(changed)
    assert set(Risk.objects.filter(evidence="worse").values_list("subject_key", flat=True)) == (
        changed
    )


def test_a_resolved_condition_that_returns_opens_a_new_risk(tenant):
    followup = FollowUpFactory(overdue=True)
    risk_scan_overdue_followups(now=NOW)
    FollowUp.objects.filter(pk=followup.pk).update(status=FollowUp.Status.DONE, completed_at=NOW)
    risk_scan_overdue_followups(now=NOW)
    FollowUp.objects.filter(pk=followup.pk).update(status=FollowUp.Status.OPEN)
    risk_scan_overdue_followups(now=NOW)
    assert sorted(Risk.objects.values_list("status", flat=True)) == ["open", "resolved"]


def test_risk_scans_run_runs_every_scan(tenant, leader):
    from tests.health.risks.test_capacity_scans import burning, over_allocated

    scaling_pain_point()
    FollowUpFactory(overdue=True)
    stuck_packet()
    stale_engagement()
    overloaded_person(manager=leader)
    over_allocated()
    burning()

    summary = risk_scans_run(now=NOW)

    created = {kind: counts["created"] for kind, counts in summary.items()}
    assert created == dict.fromkeys(Risk.Kind.values, 1)
    assert set(Risk.objects.values_list("kind", flat=True)) == set(Risk.Kind.values)
    again = risk_scans_run(now=NOW)
    assert all(counts["created"] == counts["updated"] == 0 for counts in again.values())


def test_the_demo_shows_risks_of_every_kind(tenant):
    from django_tenants.utils import schema_context

    from psops import demo

    connection.set_schema_to_public()
    demo.seed()

    with schema_context("acme"):
        kinds = set(Risk.objects.filter(status="open").values_list("kind", flat=True))
        # The demo's overload spans the three weeks before this one; on a Monday morning
        # (UTC) last week is not yet closed in UTC-12, and the scan rightly waits.
        today = timezone.localdate()
        if closed_weeks(today=today, count=1)[0] != IsoWeek.of(today).shifted(-1):
            pytest.skip("last week is not closed everywhere yet")
        assert kinds == set(Risk.Kind.values)
        scaling = Risk.objects.filter(kind=Risk.Kind.SCALING, status="open")
        assert any("VP Sales" in risk.evidence for risk in scaling)
        overload = Risk.objects.get(kind=Risk.Kind.OVERLOAD)
        assert overload.private_to == User.objects.get(email="consultant@acme.test").manager
