"""Demo engagements for `make run`: clients, both kinds of engagement in every state,
scaling pain points heading for their limits, a deferred fix, overdue follow-ups, an
escalation and a reset, with a timeline that reads like real work.

Written through the services so the timeline is what the product itself records;
dates are relative to today so the demo never goes stale. Idempotent: a tenant that
already has the demo clients is left alone.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from engagements import services
from engagements.demo_history import seed_history
from engagements.models import Activity, Client, Engagement, FollowUp, Level, PainPoint, Stakeholder
from psops.demo import demo_team_ensure

DEMO_CLIENTS = {
    "acme": [
        ("Northwind Traders", "Retail", Client.Segment.ENTERPRISE),
        ("Contoso Health", "Healthcare", Client.Segment.MID_MARKET),
        ("Fabrikam Logistics", "Logistics", Client.Segment.ENTERPRISE),
        ("Tailspin Airlines", "Travel", Client.Segment.ENTERPRISE),
    ],
    "globex": [
        ("Initrode", "Software", Client.Segment.MID_MARKET),
        ("Soylent Foods", "Food production", Client.Segment.SMB),
    ],
}


def _backdate(activity_filter, when) -> None:
    Activity.objects.filter(**activity_filter).update(occurred_at=when)


def seed_tenant(*, organization, users) -> None:
    names = DEMO_CLIENTS.get(organization.slug)
    if not names or Client.objects.filter(name=names[0][0]).exists():
        return
    clients = {
        name: Client.objects.create(name=name, industry=industry, segment=segment)
        for name, industry, segment in names
    }
    if organization.slug == "acme":
        _seed_acme(clients, users)
        # A year of past work behind the story, the same on every run.
        demo_team_ensure(users)
        seed_history(users=users, rng=random.Random("acme-history"))  # noqa: S311 - demo
    else:
        _seed_globex(clients, users)


def _stakeholder(client, name, title, role, influence, affected, channel, tz, engagements):
    person = Stakeholder.objects.create(
        client=client,
        name=name,
        title=title,
        role=role,
        influence=influence,
        affected=affected,
        preferred_channel=channel,
        time_zone=tz,
        email=f"{name.split()[0].lower()}@{client.name.split()[0].lower()}.example",
    )
    person.engagements.set(engagements)
    return person


def _seed_acme(clients, users) -> None:
    today = timezone.localdate()
    now = timezone.now()
    leader, consultant, sales = users["leader"], users["consultant"], users["sales"]
    northwind = clients["Northwind Traders"]

    rollout = services.engagement_create(
        by=leader,
        client=northwind,
        name="Order platform rollout",
        kind=Engagement.Kind.IMPLEMENTATION,
        status=Engagement.Status.ACTIVE,
        start_date=today - timedelta(days=75),
        target_end_date=today + timedelta(days=60),
        lead=consultant,
        budget_hours=800,
        sold_by=sales,
        team=[consultant, leader],
    )
    northwind_success = services.engagement_create(
        by=leader,
        client=northwind,
        name="Northwind ongoing success",
        kind=Engagement.Kind.SUCCESS,
        status=Engagement.Status.ACTIVE,
        start_date=today - timedelta(days=200),
        lead=leader,
        team=[consultant],
    )
    dana = _stakeholder(
        northwind,
        "Dana Whitfield",
        "VP Sales",
        Stakeholder.Role.SPONSOR,
        Level.HIGH,
        Level.MEDIUM,
        Stakeholder.Channel.CALL,
        "America/New_York",
        [rollout, northwind_success],
    )
    priya = _stakeholder(
        northwind,
        "Priya Nair",
        "CTO",
        Stakeholder.Role.DECISION_MAKER,
        Level.HIGH,
        Level.HIGH,
        Stakeholder.Channel.EMAIL,
        "America/Chicago",
        [rollout, northwind_success],
    )
    tom = _stakeholder(
        northwind,
        "Tom Becker",
        "Head of Operations",
        Stakeholder.Role.CHAMPION,
        Level.MEDIUM,
        Level.HIGH,
        Stakeholder.Channel.MEETING,
        "Europe/Berlin",
        [rollout],
    )
    warehouse = _stakeholder(
        northwind,
        "Warehouse shift leads",
        "",
        Stakeholder.Role.IMPACTED_GROUP,
        Level.LOW,
        Level.HIGH,
        Stakeholder.Channel.SHARED_SPACE,
        "Europe/Berlin",
        [rollout],
    )

    throughput = services.pain_point_log(
        engagement=rollout,
        by=consultant,
        title="Order API throughput near its limit",
        description="Peak order intake grows every month; the API tier saturates at 1,500 "
        "orders/min in load tests.",
        category=PainPoint.Category.SCALING,
        severity="high",
        identified_on=today - timedelta(days=40),
        metric_name="Peak order intake",
        metric_unit="orders/min",
        current_value=Decimal("1180"),
        capacity=Decimal("1500"),
        monthly_growth_pct=Decimal("6"),
        affected_stakeholders=[priya, tom, warehouse],
    )
    search = services.pain_point_log(
        engagement=rollout,
        by=consultant,
        title="Search index will outgrow its cluster",
        category=PainPoint.Category.SCALING,
        severity="critical",
        identified_on=today - timedelta(days=12),
        metric_name="Search index size",
        metric_unit="GB",
        current_value=Decimal("455"),
        capacity=Decimal("500"),
        monthly_growth_pct=Decimal("9"),
        affected_stakeholders=[priya],
    )
    services.pain_point_log(
        engagement=rollout,
        by=consultant,
        title="Returns handled by e-mail and spreadsheets",
        category=PainPoint.Category.PROCESS,
        severity="medium",
        status="in_progress",
        identified_on=today - timedelta(days=60),
        affected_stakeholders=[warehouse],
    )
    services.pain_point_log(
        engagement=northwind_success,
        by=leader,
        title="Nightly export fails twice a week",
        category=PainPoint.Category.INTEGRATION,
        severity="medium",
        identified_on=today - timedelta(days=20),
    )

    shard = services.recommendation_create(
        engagement=rollout,
        by=consultant,
        title="Shard the order queue before peak season",
        rationale="At 6% monthly growth the API saturates before the holiday peak.",
        effort_days=Decimal("15"),
        pain_point=throughput,
        proposed_on=today - timedelta(days=35),
    )
    services.recommendation_decide(
        recommendation=shard,
        by=consultant,
        status="deferred",
        decided_by_name="Dana Whitfield",
        decided_by_role="VP Sales",
        decided_on=today - timedelta(days=30),
        decision_reason="Q4 feature commitments come first; revisit in January.",
    )
    services.recommendation_create(
        engagement=rollout,
        by=consultant,
        title="Move search to a larger cluster tier",
        effort_days=Decimal("4"),
        pain_point=search,
        proposed_on=today - timedelta(days=10),
    )

    services.followup_create(
        engagement=rollout,
        by=consultant,
        title="Send load-test results to Priya",
        owner=consultant,
        due_on=today - timedelta(days=3),
        channel=FollowUp.Channel.EMAIL,
        stakeholder=priya,
    )
    services.followup_create(
        engagement=rollout,
        by=consultant,
        title="Steering call recap",
        owner=consultant,
        due_on=today + timedelta(days=2),
        channel=FollowUp.Channel.CALL_RECAP,
        stakeholder=dana,
    )
    done = services.followup_create(
        engagement=rollout,
        by=consultant,
        title="Share the cut-over plan in the project space",
        owner=consultant,
        due_on=today - timedelta(days=10),
        channel=FollowUp.Channel.SHARED_SPACE,
        stakeholder=tom,
    )
    services.followup_complete(followup=done, by=consultant)

    services.escalation_raise(
        engagement=rollout,
        by=leader,
        title="Peak-season readiness at risk",
        severity="high",
        description="The deferred queue sharding leaves no margin for the holiday peak.",
        affected_stakeholders=[priya, tom],
        confirmed=True,
    )
    services.activity_add_note(
        engagement=rollout,
        kind=Activity.Kind.CALL_RECAP,
        by=consultant,
        body="Weekly call with Priya and Tom.\nLoad test confirmed the 1,500 orders/min "
        "ceiling. Tom asked for a cut-over rehearsal in two weeks.",
    )

    contoso = clients["Contoso Health"]
    portal = services.engagement_create(
        by=leader,
        client=contoso,
        name="Patient portal adoption",
        kind=Engagement.Kind.SUCCESS,
        status=Engagement.Status.ACTIVE,
        start_date=today - timedelta(days=120),
        lead=leader,
        team=[consultant],
    )
    ehr = services.engagement_create(
        by=leader,
        client=contoso,
        name="EHR integration, phase 1",
        kind=Engagement.Kind.IMPLEMENTATION,
        status=Engagement.Status.ACTIVE,
        start_date=today - timedelta(days=260),
        target_end_date=today - timedelta(days=40),
        lead=consultant,
        budget_hours=1200,
        team=[consultant],
    )
    services.engagement_update(engagement=ehr, by=leader, status=Engagement.Status.CLOSED)
    amara = _stakeholder(
        contoso,
        "Amara Okafor",
        "Chief Medical Officer",
        Stakeholder.Role.SPONSOR,
        Level.HIGH,
        Level.HIGH,
        Stakeholder.Channel.MEETING,
        "Europe/London",
        [portal, ehr],
    )
    adoption = services.pain_point_log(
        engagement=portal,
        by=leader,
        title="Clinicians skip the scheduling module",
        category=PainPoint.Category.ADOPTION,
        severity="high",
        identified_on=today - timedelta(days=50),
        affected_stakeholders=[amara],
    )
    training = services.recommendation_create(
        engagement=portal,
        by=leader,
        title="Role-based training for clinic front desks",
        effort_days=Decimal("3"),
        pain_point=adoption,
        proposed_on=today - timedelta(days=45),
    )
    services.recommendation_decide(
        recommendation=training,
        by=leader,
        status="accepted",
        decided_by_name="Amara Okafor",
        decided_by_role="Chief Medical Officer",
        decided_on=today - timedelta(days=40),
        decision_reason="",
    )
    services.followup_create(
        engagement=portal,
        by=leader,
        title="Adoption numbers for the quarterly review",
        owner=leader,
        due_on=today - timedelta(days=8),
        channel=FollowUp.Channel.MEETING,
        stakeholder=amara,
    )
    mapping = services.pain_point_log(
        engagement=ehr,
        by=consultant,
        title="Lab codes mapped inconsistently",
        category=PainPoint.Category.DATA_QUALITY,
        severity="high",
        identified_on=today - timedelta(days=200),
    )
    services.pain_point_update(
        pain_point=mapping,
        by=consultant,
        status="resolved",
        resolution="Mapping table agreed with the lab team and loaded.",
        resolved_on=today - timedelta(days=170),
    )

    fabrikam = clients["Fabrikam Logistics"]
    fleet = services.engagement_create(
        by=leader,
        client=fabrikam,
        name="Fleet tracking integration",
        kind=Engagement.Kind.IMPLEMENTATION,
        status=Engagement.Status.ACTIVE,
        start_date=today - timedelta(days=150),
        target_end_date=today - timedelta(days=10),
        lead=leader,
        budget_hours=600,
        team=[leader],
    )
    _stakeholder(
        fabrikam,
        "Lars Eriksen",
        "Fleet Director",
        Stakeholder.Role.SPONSOR,
        Level.HIGH,
        Level.HIGH,
        Stakeholder.Channel.CALL,
        "Europe/Stockholm",
        [fleet],
    )
    services.pain_point_log(
        engagement=fleet,
        by=leader,
        title="Telematics vendor API rate limits",
        category=PainPoint.Category.PERFORMANCE,
        severity="medium",
        identified_on=today - timedelta(days=90),
    )
    services.engagement_reset(
        engagement=fleet,
        by=leader,
        new_target_end_date=today + timedelta(days=75),
        team_add=[consultant],
        team_remove=[],
        expectations="Phase the rollout by depot; first two depots live before the new date. "
        "Weekly status to Lars.",
    )

    tailspin = clients["Tailspin Airlines"]
    services.engagement_create(
        by=leader,
        client=tailspin,
        name="Loyalty platform migration",
        kind=Engagement.Kind.IMPLEMENTATION,
        status=Engagement.Status.PLANNED,
        start_date=today + timedelta(days=21),
        target_end_date=today + timedelta(days=200),
        lead=consultant,
        budget_hours=1500,
        sold_by=sales,
    )

    # Spread the timeline over the weeks it describes.
    for engagement, started in (
        (rollout, 75),
        (northwind_success, 200),
        (portal, 120),
        (ehr, 260),
        (fleet, 150),
    ):
        _backdate(
            {"engagement": engagement, "kind": Activity.Kind.CREATED}, now - timedelta(days=started)
        )
    _backdate({"engagement": rollout, "summary__contains": "throughput"}, now - timedelta(days=40))
    _backdate({"engagement": rollout, "summary__contains": "deferred"}, now - timedelta(days=30))
    _backdate(
        {"engagement": rollout, "summary__contains": "cut-over plan"}, now - timedelta(days=9)
    )
    _backdate({"engagement": rollout, "kind": Activity.Kind.ESCALATION}, now - timedelta(days=5))
    _backdate({"engagement": ehr, "kind": Activity.Kind.PAIN_POINT}, now - timedelta(days=170))
    _backdate({"engagement": ehr, "kind": Activity.Kind.STATUS_CHANGE}, now - timedelta(days=38))


def _seed_globex(clients, users) -> None:
    today = timezone.localdate()
    leader, consultant = users["leader"], users["consultant"]
    initrode = services.engagement_create(
        by=leader,
        client=clients["Initrode"],
        name="Billing system go-live",
        kind=Engagement.Kind.IMPLEMENTATION,
        status=Engagement.Status.ACTIVE,
        start_date=today - timedelta(days=30),
        target_end_date=today + timedelta(days=90),
        lead=consultant,
        budget_hours=400,
        team=[consultant],
    )
    services.pain_point_log(
        engagement=initrode,
        by=consultant,
        title="Invoice runs take all night",
        category=PainPoint.Category.SCALING,
        severity="medium",
        metric_name="Invoices per run",
        metric_unit="invoices",
        current_value=Decimal("42000"),
        capacity=Decimal("60000"),
        monthly_growth_pct=Decimal("3"),
    )
    services.followup_create(
        engagement=initrode,
        by=consultant,
        title="Confirm go-live date with finance",
        owner=consultant,
        due_on=today + timedelta(days=5),
        channel=FollowUp.Channel.EMAIL,
    )
    services.engagement_create(
        by=leader,
        client=clients["Soylent Foods"],
        name="Soylent ongoing success",
        kind=Engagement.Kind.SUCCESS,
        status=Engagement.Status.ACTIVE,
        start_date=today - timedelta(days=300),
        lead=leader,
    )
