"""A year of team health for the demo: more people, named check-ins, published
pulse answers and KPI snapshots backfilled from the demo history.

Deterministic (a seeded random generator) and idempotent: a tenant that already has
check-ins is left alone.
"""

import random
import uuid
from datetime import timedelta

from django.utils import timezone

from health.groups import memberships_since_always
from health.models import (
    CheckIn,
    KpiTarget,
    PulseParticipation,
    PulseResponse,
    TeamMembership,
)
from health.weeks import recent_weeks
from psops.accounts.models import Role, User
from psops.demo import demo_team_ensure

# A year of check-ins and pulse; the KPI sparklines show the last twelve weeks of it.
WEEKS = 52
SNAPSHOT_DAYS = 12 * 7
# Targets a PS leader might set on day one.
DEMO_TARGETS = {
    "pain_points_resolved_90d": 70,
    "median_days_to_resolve": 45,
    "recommendation_adoption": 60,
    "followups_on_time": 85,
    "handoff_first_pass": 60,
    "surprises_per_handoff": 1,
    "median_review_turnaround": 2,
    "time_to_value": 60,
    "scaling_breaches_90d": 0,
    "checkin_participation": 80,
    "team_energy": 3.5,
}
# Active demo engagements left without activity (acme, globex).
STALE_ENGAGEMENTS = ("Northwind ongoing success", "Soylent ongoing success")
BLOCKERS = [
    "Waiting on client VPN access",
    "Test data still missing",
    "",
    "Two steering calls moved at short notice",
    "",
    "",
]
WINS = [
    "Cut-over rehearsal went clean",
    "Client praised the training",
    "",
    "Closed three follow-ups early",
    "Search fix shipped",
    "",
]


def seed_tenant(*, organization, users) -> None:
    if CheckIn.objects.exists():
        return
    people = demo_team_ensure(users)
    # The team has been here all along, not since this morning.
    User.objects.filter(date_joined__gt=timezone.now() - timedelta(days=WEEKS * 7 + 14)).update(
        date_joined=timezone.now() - timedelta(days=365)
    )
    # ...and in their teams all along: everyone counts toward the pulse (health.groups).
    memberships_since_always(User.objects.exclude(pk__in=TeamMembership.objects.values("user_id")))
    for key, target in DEMO_TARGETS.items():
        KpiTarget.objects.get_or_create(
            key=key, defaults={"target": target, "updated_by": users["leader"]}
        )
    rng = random.Random(organization.slug)  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    weeks = recent_weeks(today=today, count=WEEKS + 1)  # a year of closed weeks and this one
    overloaded = users["consultant"]

    checkins, answers, participations = [], [], []
    for week_index, week in enumerate(weeks):
        strain = week_index / WEEKS  # the team gets a little more tired towards now
        week_answers = []
        for person in people:
            if person.role == Role.ADMIN and week_index % 3:
                continue  # admins check in now and then
            if rng.random() < 0.12 and person != overloaded:
                continue  # nobody files every single week
            workload = min(5, max(1, round(rng.gauss(3 + strain, 0.8))))
            if person == overloaded and week_index >= WEEKS - 3:
                workload = 5  # three weeks running: the overload scan's demo case
            energy = min(5, max(1, round(rng.gauss(3.9 - 0.6 * strain, 0.7))))
            checkins.append(
                CheckIn(
                    user=person,
                    iso_year=week.year,
                    iso_week=week.week,
                    energy=energy,
                    workload=workload,
                    connection=min(5, max(1, round(rng.gauss(3.6, 0.8)))),
                    boundaries=rng.choice(["yes", "yes", "mostly", "mostly", "no"]),
                    blockers=rng.choice(BLOCKERS),
                    wins=rng.choice(WINS),
                    wants_one_on_one=workload == 5 or rng.random() < 0.08,
                )
            )
            if week.is_closed(today) and rng.random() < 0.9:
                participations.append(
                    PulseParticipation(user=person, iso_year=week.year, iso_week=week.week)
                )
                week_answers.append(
                    PulseResponse(
                        id=uuid.uuid4(),
                        iso_year=week.year,
                        iso_week=week.week,
                        team=person.team,
                        energy=min(5, max(1, energy + rng.choice([-1, 0, 0, 1]))),
                        workload=workload,
                        safety=min(5, max(1, round(rng.gauss(3.9, 0.7)))),
                        comment=rng.choice(
                            [
                                "",
                                "",
                                "",
                                "More focus time would help.",
                                "Great team spirit this week.",
                                "Too many status meetings.",
                            ]
                        ),
                    )
                )
        # Published answers look exactly as the pulse writes them: one shuffled batch.
        rng.shuffle(week_answers)
        answers.extend(week_answers)
    CheckIn.objects.bulk_create(checkins)
    PulseParticipation.objects.bulk_create(participations)
    PulseResponse.objects.bulk_create(answers)

    from health.kpis.snapshots import kpi_snapshots_backfill

    kpi_snapshots_backfill(days=SNAPSHOT_DAYS, until=today)

    # One active engagement that nobody has touched for a month: the stale-engagement case.
    from engagements.models import Activity

    month_ago = timezone.now() - timedelta(days=30)
    Activity.objects.filter(
        engagement__name__in=STALE_ENGAGEMENTS, occurred_at__gt=month_ago
    ).update(occurred_at=month_ago)

    # Risks of every kind on the first page view, rather than 15 minutes later.
    from health.risks.scans import risk_scans_run

    risk_scans_run(now=timezone.now())
