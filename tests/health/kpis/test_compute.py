"""Each KPI's value on small, hand-built scenarios that can be checked with a pencil.

Unless a test says otherwise the day is AS_OF = Monday 2025-03-31 and the window the
default 90 days, 2024-12-31 to 2025-03-31. The last ISO week that is over on AS_OF
is 2025-W13 (March 24 to 30).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from engagements.models import Engagement, FollowUp, PainPoint, Recommendation
from handoffs.models import HandoffPacket, HandoffReview, Verdict
from health.kpis.base import Evidence, KpiScope, Link, kpi_value_display
from health.kpis.registry import KPIS, kpi_get
from health.kpis.targets import kpi_status
from health.kpis.team import last_closed_week
from health.weeks import IsoWeek
from psops.accounts.models import OrganizationSettings, Role
from tests.engagements.factories import (
    EngagementFactory,
    FollowUpFactory,
    PainPointFactory,
    RecommendationFactory,
)
from tests.health.conftest import minimum_set_since_always
from tests.health.kpis.data import (
    checkin,
    item,
    noon,
    packet,
    person,
    review_round,
    verdict,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 3, 31)
SCOPE = KpiScope()
W13 = IsoWeek(2025, 13)
Accept = HandoffReview.Decision.ACCEPT
RequestChanges = HandoffReview.Decision.REQUEST_CHANGES


def value(key: str, as_of: date = AS_OF, scope: KpiScope = SCOPE):
    return kpi_get(key).compute(as_of, scope)


def evidence(key: str, as_of: date = AS_OF, scope: KpiScope = SCOPE) -> Evidence:
    return kpi_get(key).evidence(as_of, scope)


def link_texts(rows: list[list], column: int = 0) -> list[str]:
    return [row[column].text for row in rows]


def resolved(engagement, identified: date, resolved_on: date, **fields) -> PainPoint:
    return PainPoint.objects.create(
        engagement=engagement,
        title=fields.pop("title", f"Resolved {identified}"),
        status=PainPoint.Status.RESOLVED,
        identified_on=identified,
        resolved_on=resolved_on,
        resolution="Fixed.",
        **fields,
    )


# --- The registry ----------------------------------------------------------------------------


def test_the_registry_holds_every_kpi_the_issue_asks_for_each_explained(tenant):
    assert [kpi.key for kpi in KPIS] == [
        "pain_points_resolved_90d",
        "median_days_to_resolve",
        "recommendation_adoption",
        "followups_on_time",
        "handoff_first_pass",
        "surprises_per_handoff",
        "median_review_turnaround",
        "time_to_value",
        "scaling_breaches_90d",
        "checkin_participation",
        "team_energy",
    ]
    for kpi in KPIS:
        assert kpi.description.endswith(".") and len(kpi.description) > 60, kpi.key
        assert kpi.definition, kpi.key
        assert kpi_get(kpi.key) is kpi
    with pytest.raises(KeyError):
        kpi_get("nonsense")


def test_with_no_data_at_all_every_kpi_but_the_count_has_no_value(tenant):
    values = {kpi.key: kpi.compute(AS_OF, SCOPE) for kpi in KPIS}

    assert values.pop("scaling_breaches_90d") == 0
    assert set(values.values()) == {None}
    assert [kpi.display(None) for kpi in KPIS] == ["—"] * len(KPIS)


@pytest.mark.parametrize(
    ("unit", "number", "shown"),
    [
        ("%", Decimal("75.0"), "75%"),
        ("%", Decimal("66.7"), "66.7%"),
        ("days", Decimal("1.0"), "1 day"),
        ("days", Decimal("82.5"), "82.5 days"),
        ("count", Decimal("4"), "4"),
        ("count", Decimal("0"), "0"),
        ("per handoff", Decimal("0.75"), "0.75 per handoff"),
        ("of 5", Decimal("3.6"), "3.6 of 5"),
        ("%", None, "—"),
    ],
)
def test_values_are_shown_with_their_unit(unit, number, shown):
    assert kpi_value_display(unit=unit, value=number) == shown


# --- Pain points resolved within 90 days -----------------------------------------------------


def test_resolved_within_90_days_counts_the_pain_points_that_had_their_full_90_days(engagement):
    # Cohort on AS_OF: identified 2024-10-02 .. 2024-12-31 (their 90th day is in the window).
    resolved(engagement, date(2024, 11, 1), date(2025, 1, 15), title="A 75 days")
    resolved(engagement, date(2024, 11, 1), date(2025, 2, 15), title="B 106 days")
    PainPointFactory(engagement=engagement, identified_on=date(2024, 12, 1), title="C open")
    resolved(engagement, date(2024, 12, 31), date(2025, 3, 31), title="D exactly 90 days")
    resolved(engagement, date(2025, 1, 10), date(2025, 1, 12), title="E too young")
    resolved(engagement, date(2024, 10, 1), date(2024, 12, 1), title="F 61 days")

    assert value("pain_points_resolved_90d") == Decimal("50.0")  # A and D of A, B, C, D
    rows = evidence("pain_points_resolved_90d").rows
    assert link_texts(rows) == ["A 75 days", "B 106 days", "C open", "D exactly 90 days"]
    assert [row[-1] for row in rows] == ["yes", "no", "no", "yes"]
    assert "2 of the 4 pain points" in evidence("pain_points_resolved_90d").explanation


def test_resolved_within_90_days_in_the_past_reads_only_what_was_known_then(engagement):
    resolved(engagement, date(2024, 11, 1), date(2025, 1, 15), title="A")
    resolved(engagement, date(2024, 11, 1), date(2025, 2, 15), title="B")
    resolved(engagement, date(2024, 10, 1), date(2024, 12, 1), title="F")
    PainPointFactory(engagement=engagement, identified_on=date(2024, 8, 1), title="too old")

    # On 2025-02-01 the cohort is identified 2024-08-05 .. 2024-11-03: A, B and F.
    assert value("pain_points_resolved_90d", as_of=date(2025, 2, 1)) == Decimal("66.7")


def test_a_deferred_pain_point_counts_as_not_resolved(engagement):
    PainPointFactory(
        engagement=engagement, identified_on=date(2024, 11, 1), status=PainPoint.Status.DEFERRED
    )
    resolved(engagement, date(2024, 11, 1), date(2024, 11, 20))

    assert value("pain_points_resolved_90d") == Decimal("50.0")


# --- Median days to resolve ------------------------------------------------------------------


def test_median_days_to_resolve_is_over_pain_points_resolved_in_the_window(engagement):
    resolved(engagement, date(2025, 3, 1), date(2025, 3, 11))  # 10 days
    resolved(engagement, date(2024, 11, 1), date(2025, 1, 15))  # 75
    resolved(engagement, date(2024, 12, 31), date(2025, 3, 31))  # 90
    resolved(engagement, date(2024, 11, 1), date(2025, 2, 15))  # 106
    resolved(engagement, date(2024, 10, 1), date(2024, 12, 1))  # resolved before the window
    resolved(engagement, date(2025, 3, 1), date(2025, 4, 2))  # resolved after AS_OF

    assert value("median_days_to_resolve") == Decimal("82.5")  # (75 + 90) / 2
    rows = evidence("median_days_to_resolve").rows
    assert [row[-1] for row in rows] == [10, 75, 90, 106]
    assert rows[0][2:4] == ["2025-03-01", "2025-03-11"]


# --- Recommendation adoption -----------------------------------------------------------------


def test_adoption_is_accepted_or_done_of_those_decided_in_the_window(engagement):
    def decided(status, on, reason=""):
        return RecommendationFactory(
            engagement=engagement,
            status=status,
            proposed_on=date(2024, 12, 1),
            decided_on=on,
            decision_reason=reason,
            decided_by_name="Dana",
        )

    decided(Recommendation.Status.ACCEPTED, date(2025, 1, 10))
    decided(Recommendation.Status.DONE, date(2025, 2, 10))
    decided(Recommendation.Status.DEFERRED, date(2025, 3, 10), "Next budget year.")
    decided(Recommendation.Status.DECLINED, date(2025, 3, 31), "Not a priority.")
    decided(Recommendation.Status.ACCEPTED, date(2024, 12, 30))  # before the window
    decided(Recommendation.Status.ACCEPTED, date(2025, 4, 1))  # after AS_OF
    RecommendationFactory(engagement=engagement, proposed_on=date(2025, 2, 1))  # undecided

    assert value("recommendation_adoption") == Decimal("50.0")
    rows = evidence("recommendation_adoption").rows
    assert [row[3] for row in rows] == ["Accepted", "Done", "Deferred", "Declined"]
    assert [row[-1] for row in rows] == ["yes", "yes", "no", "no"]
    assert rows[0][0].url == engagement.get_absolute_url() + "#recommendations"


def test_a_decision_without_a_date_counts_on_the_day_it_was_proposed(engagement):
    RecommendationFactory(
        engagement=engagement,
        status=Recommendation.Status.ACCEPTED,
        proposed_on=date(2025, 3, 1),
        decided_on=None,
    )

    assert value("recommendation_adoption") == Decimal("100.0")
    assert value("recommendation_adoption", as_of=date(2025, 2, 28)) is None


# --- Follow-ups done on time -----------------------------------------------------------------


def test_followups_on_time_counts_done_by_the_due_day_and_leaves_out_cancelled(engagement):
    def followup(due, *, completed=None, status=FollowUp.Status.OPEN, title=""):
        return FollowUpFactory(
            engagement=engagement,
            title=title or f"due {due}",
            due_on=due,
            status=status,
            completed_at=noon(completed) if completed else None,
        )

    done = FollowUp.Status.DONE
    followup(date(2025, 2, 10), completed=date(2025, 2, 10), status=done, title="on the day")
    followup(date(2025, 2, 10), completed=date(2025, 2, 1), status=done, title="early")
    followup(date(2025, 2, 10), completed=date(2025, 2, 11), status=done, title="late")
    followup(date(2025, 3, 1), title="still open")
    followup(date(2025, 3, 1), status=FollowUp.Status.CANCELLED, title="cancelled")
    followup(date(2025, 4, 5), title="not due yet")
    followup(date(2024, 12, 30), completed=date(2024, 12, 30), status=done, title="before")

    assert value("followups_on_time") == Decimal("50.0")
    rows = evidence("followups_on_time").rows
    assert sorted(link_texts(rows)) == ["early", "late", "on the day", "still open"]
    assert dict(zip(link_texts(rows), [row[-1] for row in rows], strict=True)) == {
        "on the day": "yes",
        "early": "yes",
        "late": "no",
        "still open": "no",
    }


def test_a_followup_done_after_the_day_asked_about_was_not_done_on_it(engagement):
    FollowUpFactory(
        engagement=engagement,
        due_on=date(2025, 3, 10),
        status=FollowUp.Status.DONE,
        completed_at=noon(date(2025, 3, 15)),
    )

    assert value("followups_on_time", as_of=date(2025, 3, 12)) == Decimal("0.0")
    assert value("followups_on_time", as_of=date(2025, 3, 9)) is None  # not due yet then


# --- Engagement scope: lead and kind ---------------------------------------------------------


def test_engagement_kpis_respect_lead_and_kind(tenant):
    alice, bob = person(Role.LEADER), person(Role.CONSULTANT)
    mine = EngagementFactory(lead=alice, kind=Engagement.Kind.IMPLEMENTATION)
    theirs = EngagementFactory(lead=bob, kind=Engagement.Kind.SUCCESS)
    for engagement, completed in ((mine, date(2025, 3, 1)), (theirs, date(2025, 3, 20))):
        FollowUpFactory(
            engagement=engagement,
            due_on=date(2025, 3, 10),
            status=FollowUp.Status.DONE,
            completed_at=noon(completed),
        )

    assert value("followups_on_time") == Decimal("50.0")
    assert value("followups_on_time", scope=KpiScope(lead_id=alice.pk)) == Decimal("100.0")
    assert value("followups_on_time", scope=KpiScope(lead_id=bob.pk)) == Decimal("0.0")
    assert value("followups_on_time", scope=KpiScope(kind="success")) == Decimal("0.0")
    assert value("followups_on_time", scope=KpiScope(lead_id=alice.pk, kind="success")) is None


def test_a_shorter_period_narrows_the_window(engagement):
    resolved(engagement, date(2025, 1, 1), date(2025, 1, 11))  # 10 days, resolved Jan 11
    resolved(engagement, date(2025, 3, 1), date(2025, 3, 21))  # 20 days, resolved Mar 21

    assert value("median_days_to_resolve") == Decimal("15.0")
    assert value("median_days_to_resolve", scope=KpiScope(period_days=30)) == Decimal("20.0")


# --- Handoffs: first pass, surprises, turnaround ---------------------------------------------


@pytest.fixture
def handoff_history(tenant):
    """Four packets reviewed around the window (2024-12-31 .. 2025-03-31).

    P1 round 1 2025-01-10 after 1 day: all in scope, accepted.
    P2 round 1 2025-02-01 after 4 days: two surprises, changes requested; round 2
       2025-02-20 after 2 days: the first surprise still out of scope (not new), accepted.
    P3 round 1 2024-12-01 (before the window): one surprise; round 2 2025-01-05 after
       3 days: the same item still out of scope, accepted. Success engagement sold.
    P4 round 1 2025-03-31 after 0.5 days: one surprise, rejected.
    """
    p1 = packet(deal_name="P1")
    i1 = item(p1)
    verdict(review_round(p1, round=1, reviewed_on=date(2025, 1, 10), decision=Accept), i1)

    p2 = packet(deal_name="P2")
    a, b, c = item(p2), item(p2), item(p2)
    first = review_round(p2, round=1, reviewed_on=date(2025, 2, 1), days_after_submission=4)
    verdict(first, a, Verdict.NEEDS_CUSTOM_WORK)
    verdict(first, b, Verdict.UNCLEAR)
    verdict(first, c)
    second = review_round(
        p2, round=2, reviewed_on=date(2025, 2, 20), days_after_submission=2, decision=Accept
    )
    verdict(second, a, Verdict.NEEDS_CUSTOM_WORK)
    verdict(second, b)
    verdict(second, c)

    p3 = packet(deal_name="P3", engagement_kind=Engagement.Kind.SUCCESS)
    d = item(p3)
    verdict(review_round(p3, round=1, reviewed_on=date(2024, 12, 1)), d, Verdict.NOT_POSSIBLE)
    verdict(
        review_round(
            p3, round=2, reviewed_on=date(2025, 1, 5), days_after_submission=3, decision=Accept
        ),
        d,
        Verdict.NOT_POSSIBLE,
    )

    p4 = packet(deal_name="P4")
    e = item(p4)
    verdict(
        review_round(
            p4,
            round=1,
            reviewed_on=date(2025, 3, 31),
            days_after_submission=0.5,
            decision=HandoffReview.Decision.REJECT,
        ),
        e,
        Verdict.NOT_POSSIBLE,
    )
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4}


def test_first_pass_acceptance_is_of_packets_first_reviewed_in_the_window(handoff_history):
    # First rounds in the window: P1 (accepted), P2 (changes), P4 (rejected); P3's was earlier.
    assert value("handoff_first_pass") == Decimal("33.3")
    rows = evidence("handoff_first_pass").rows
    assert link_texts(rows) == ["P1", "P2", "P4"]
    assert [row[-1] for row in rows] == ["yes", "no", "no"]
    assert rows[0][0].url == handoff_history["p1"].get_absolute_url()


def test_surprises_per_handoff_counts_each_item_once_over_packets_reviewed(handoff_history):
    # Packets reviewed in the window: P1, P2, P3, P4. New surprises: P2's two, P4's one;
    # P3's item was already a surprise in December.
    assert value("surprises_per_handoff") == Decimal("0.75")
    rows = evidence("surprises_per_handoff").rows
    assert {row[0].text: (row[2], row[3]) for row in rows} == {
        "P1": (1, 0),
        "P2": (2, 2),
        "P3": (1, 0),
        "P4": (1, 1),
    }
    assert "3 surprises" in evidence("surprises_per_handoff").explanation


def test_median_review_turnaround_is_over_rounds_in_the_window(handoff_history):
    # Rounds in the window took 1, 4, 2, 3 and 0.5 days.
    assert value("median_review_turnaround") == Decimal("2.0")
    rows = evidence("median_review_turnaround").rows
    assert [row[4] for row in rows] == [
        Decimal("0.5"),
        Decimal("1.0"),
        Decimal("2.0"),
        Decimal("3.0"),
        Decimal("4.0"),
    ]


def test_handoff_kpis_respect_the_kind_sold_and_ignore_the_lead(handoff_history):
    success = KpiScope(kind=Engagement.Kind.SUCCESS)
    implementation = KpiScope(kind=Engagement.Kind.IMPLEMENTATION)

    assert value("surprises_per_handoff", scope=success) == Decimal("0.00")
    assert value("surprises_per_handoff", scope=implementation) == Decimal("1.00")
    assert value("median_review_turnaround", scope=success) == Decimal("3.0")
    assert value("handoff_first_pass", scope=success) is None
    assert value("handoff_first_pass", scope=KpiScope(lead_id=999_999)) == Decimal("33.3")


def test_handoff_kpis_in_the_past(handoff_history):
    # On 2025-01-31 (window 2024-11-02 .. 2025-01-31): rounds P3/1, P1/1, P3/2.
    as_of = date(2025, 1, 31)
    assert value("handoff_first_pass", as_of=as_of) == Decimal("50.0")  # P1 yes, P3 no
    assert value("surprises_per_handoff", as_of=as_of) == Decimal("0.50")  # P3's 1 of 2
    assert value("median_review_turnaround", as_of=as_of) == Decimal("1.0")  # 1, 1, 3


# --- Time to value ---------------------------------------------------------------------------


def accepted_engagement(*, accepted_on: date, **fields) -> Engagement:
    engagement = EngagementFactory(**fields)
    packet(
        status=HandoffPacket.Status.ACCEPTED,
        deal_name=f"Deal for {engagement.name}",
        decided_at=noon(accepted_on),
        engagement=engagement,
    )
    return engagement


def test_time_to_value_is_from_acceptance_to_the_first_pain_point_resolved(tenant):
    first = accepted_engagement(accepted_on=date(2025, 1, 10), name="First")
    resolved(first, date(2025, 1, 12), date(2025, 1, 30), title="Slow exports")  # 20 days
    resolved(first, date(2025, 1, 12), date(2025, 2, 28))  # a later one: not the first
    second = accepted_engagement(accepted_on=date(2025, 2, 1), name="Second")
    resolved(second, date(2025, 1, 5), date(2025, 1, 20))  # before acceptance: ignored
    resolved(second, date(2025, 2, 2), date(2025, 3, 3), title="Login loop")  # 30 days
    no_handoff = EngagementFactory(name="No handoff")
    resolved(no_handoff, date(2025, 2, 1), date(2025, 2, 3))
    late = accepted_engagement(accepted_on=date(2025, 3, 1), name="Late")
    resolved(late, date(2025, 3, 2), date(2025, 4, 3))  # after AS_OF

    assert value("time_to_value") == Decimal("25.0")
    rows = evidence("time_to_value").rows
    assert [(row[0].text.split(": ")[1], row[3], row[4], row[5]) for row in rows] == [
        ("First", "Slow exports", "2025-01-30", 20),
        ("Second", "Login loop", "2025-03-03", 30),
    ]
    assert value("time_to_value", as_of=date(2025, 2, 15)) == Decimal("20.0")


def test_time_to_value_respects_lead_and_kind(tenant):
    lead = person(Role.LEADER)
    mine = accepted_engagement(accepted_on=date(2025, 1, 10), lead=lead)
    resolved(mine, date(2025, 1, 12), date(2025, 1, 20))  # 10 days
    other = accepted_engagement(accepted_on=date(2025, 1, 10), kind=Engagement.Kind.SUCCESS)
    resolved(other, date(2025, 1, 12), date(2025, 2, 9))  # 30 days

    assert value("time_to_value") == Decimal("20.0")
    assert value("time_to_value", scope=KpiScope(lead_id=lead.pk)) == Decimal("10.0")
    assert value("time_to_value", scope=KpiScope(kind="success")) == Decimal("30.0")


# --- Scaling walls within the scaling horizon -------------------------------------------


def test_scaling_breaches_count_unresolved_scaling_pain_points_near_capacity(engagement):
    def scaling(title, current, capacity, growth, **fields):
        fields.setdefault("identified_on", date(2025, 1, 1))
        return PainPointFactory(
            engagement=engagement,
            scaling=True,
            title=title,
            current_value=Decimal(current),
            capacity=Decimal(capacity),
            monthly_growth_pct=Decimal(growth),
            **fields,
        )

    scaling("two months away", 1000, 1100, 5)  # ln 1.1 / ln 1.05 = 1.95 months, 59 days
    scaling("a year away", 1000, 2000, 5)
    scaling("already over", 1200, 1000, 1)
    scaling("deferred", 1000, 1050, 10, status=PainPoint.Status.DEFERRED)
    scaling(
        "resolved", 1000, 1050, 10, status=PainPoint.Status.RESOLVED, resolved_on=date(2025, 3, 1)
    )
    scaling(
        "resolved later",
        1000,
        1050,
        10,
        status=PainPoint.Status.RESOLVED,
        resolved_on=date(2025, 4, 10),
    )
    scaling("not yet found", 1000, 1050, 10, identified_on=date(2025, 4, 2))
    scaling("flat", 1000, 1001, 0)
    PainPointFactory(engagement=engagement, identified_on=date(2025, 1, 1), title="not scaling")

    assert value("scaling_breaches_90d") == Decimal("4")
    rows = evidence("scaling_breaches_90d").rows
    assert sorted(link_texts(rows)) == ["already over", "deferred", "resolved later",
                                        "two months away"]  # fmt: skip
    over = next(row for row in rows if row[0].text == "already over")
    assert over[3:7] == ["1,200 orders", "1,000 orders", "1%", "already over capacity"]
    # On 2025-02-01 "resolved" was not resolved yet; before 2025-01-01 none had been found.
    assert value("scaling_breaches_90d", as_of=date(2025, 2, 1)) == Decimal("5")
    assert value("scaling_breaches_90d", as_of=date(2024, 12, 31)) == Decimal("0")


def test_scaling_walls_use_the_organizations_horizon_and_say_it(engagement, client_for, leader):
    from health.kpis.registry import KPIS
    from psops.accounts.models import OrganizationSettings

    PainPointFactory(
        engagement=engagement,
        scaling=True,
        title="two months away",
        identified_on=date(2025, 1, 1),
        current_value=Decimal(1000),
        capacity=Decimal(1100),
        monthly_growth_pct=Decimal(5),
    )
    kpi = next(kpi for kpi in KPIS if kpi.key == "scaling_breaches_90d")
    settings = OrganizationSettings.current()
    settings.scaling_horizon_days = 180
    settings.save()
    assert value("scaling_breaches_90d") == Decimal("1")
    assert kpi.title == "Scaling walls within 180 days"

    settings.scaling_horizon_days = 30
    settings.save()
    assert value("scaling_breaches_90d") == Decimal("0")
    assert kpi.title == "Scaling walls within 30 days"
    assert "Scaling walls within 30 days" in client_for(leader).get("/").content.decode()


# --- Team: check-in participation and energy -------------------------------------------------


def test_the_last_closed_week_is_the_one_before_the_day_asked_about():
    assert last_closed_week(AS_OF) == W13
    assert last_closed_week(date(2025, 3, 30)) == IsoWeek(2025, 12)  # a Sunday: W13 not over


def test_the_last_closed_week_is_over_everywhere_not_only_where_the_reader_is(tenant, monkeypatch):
    """Monday March 31 for a reader in Berlin is still Sunday March 30 in UTC-12.

    Until W13 is over there too, people can still file (and change) W13 check-ins, and
    two reads of the tile a check-in apart would give that check-in away.
    """
    people = [person(Role.CONSULTANT) for _ in range(5)]
    for user in people:
        checkin(user, W13, energy=5)
    for user in people[:4]:
        checkin(user, W13.shifted(-1), energy=2)
    monkeypatch.setattr("health.weeks.closing_today", lambda now=None: date(2025, 3, 30))

    assert last_closed_week(AS_OF) == IsoWeek(2025, 12)
    assert value("team_energy") is None  # W12: four check-ins, below the minimum
    assert "2025-W12" in evidence("team_energy").explanation
    assert value("checkin_participation") == Decimal("80.0")  # W12: four of five filed

    monkeypatch.setattr("health.weeks.closing_today", lambda now=None: date(2025, 3, 31))

    assert last_closed_week(AS_OF) == W13
    assert value("team_energy") == Decimal("5.0")
    assert value("checkin_participation") == Decimal("100.0")


def test_participation_is_of_active_consultants_and_sales_no_kpi_reader_manages(tenant):
    leader = person(Role.LEADER, team="Delivery")
    filed = person(Role.CONSULTANT, team="Delivery")
    missed = person(Role.CONSULTANT, team="Delivery")
    person(Role.SALES, team="Sales")
    gone = person(Role.CONSULTANT, is_active=False)
    admin = person(Role.ADMIN)
    newcomer = person(Role.CONSULTANT, date_joined=noon(date(2025, 4, 1)))
    for user in (leader, filed, gone, admin, newcomer):
        checkin(user, W13)
    checkin(missed, W13.shifted(-1))

    managed = person(Role.CONSULTANT, team="Delivery", manager=leader)
    checkin(managed, W13)

    # Two consultants and the sales rep; one consultant filed. The leader and the
    # consultant they manage are left out: the leader knows both by name.
    assert value("checkin_participation") == Decimal("33.3")
    # Three people, fewer than the anonymity minimum of five: the total only.
    assert evidence("checkin_participation").rows == [["All teams", 3, 1, "33.3%"]]
    # On 2025-03-24 the week asked about is W12: only "missed" filed then.
    assert value("checkin_participation", as_of=date(2025, 3, 24)) == Decimal("33.3")


def test_participation_evidence_folds_teams_below_the_anonymity_minimum(tenant):
    """A team of one would say whether that person filed: small teams go together."""
    assert OrganizationSettings.current().pulse_minimum_group == 5
    delivery = [person(Role.CONSULTANT, team="Delivery") for _ in range(5)]
    sales = [person(Role.SALES, team="Sales") for _ in range(3)]
    solo = person(Role.CONSULTANT, team="Solo")
    no_team = person(Role.CONSULTANT, team="")
    for user in (*delivery[:3], sales[0], solo):
        checkin(user, W13)

    shown = evidence("checkin_participation")

    assert shown.rows == [
        ["Delivery", 5, 3, "60%"],
        ["Other teams", 5, 2, "40%"],  # Sales (3), Solo (1) and the one without a team
    ]
    assert "Solo" not in str(shown.rows) and "Sales" not in str(shown.rows)
    assert "Teams of fewer than 5 people" in shown.explanation
    assert value("checkin_participation") == Decimal("50.0")
    assert no_team.team == ""


def test_participation_evidence_shows_no_team_when_the_rest_could_be_subtracted(tenant):
    """Delivery shown on its own would leave Solo's one person as the total minus Delivery."""
    for _ in range(5):
        checkin(person(Role.CONSULTANT, team="Delivery"), W13)
    person(Role.CONSULTANT, team="Solo")

    shown = evidence("checkin_participation")

    assert shown.rows == [["All teams", 6, 5, "83.3%"]]
    assert "only the total is shown" in shown.explanation


def test_participation_evidence_uses_the_organizations_minimum(tenant):
    minimum_set_since_always(3)
    for team in ("Delivery", "Sales"):
        for _ in range(3):
            checkin(person(Role.CONSULTANT, team=team), W13)

    assert evidence("checkin_participation").rows == [
        ["Delivery", 3, 3, "100%"],
        ["Sales", 3, 3, "100%"],
    ]


def test_team_kpis_ignore_lead_and_kind(tenant):
    user = person(Role.CONSULTANT)
    checkin(user, W13)

    narrowed = KpiScope(lead_id=user.pk, kind="success", period_days=30)
    assert value("checkin_participation", scope=narrowed) == value("checkin_participation")


def test_team_energy_averages_last_weeks_checkins_from_the_anonymity_minimum(tenant):
    assert OrganizationSettings.current().pulse_minimum_group == 5
    people = [person(Role.CONSULTANT) for _ in range(5)]
    for user, energy in zip(people[:4], (4, 3, 5, 2), strict=True):
        checkin(user, W13, energy=energy)
    checkin(people[4], W13.shifted(1), energy=1)  # this week: not over yet

    assert value("team_energy") is None  # four check-ins: below the minimum of five
    assert "only from 5 check-ins" in evidence("team_energy").explanation
    assert evidence("team_energy").rows == []

    checkin(people[4], W13, energy=4)

    assert value("team_energy") == Decimal("3.6")  # 18 / 5
    # The average and its count: no count per score, from which a change would tell.
    assert evidence("team_energy").rows == [[5, "3.6 of 5"]]


def test_team_energy_does_not_move_when_someone_is_deactivated(tenant):
    """One population, every check-in of the week: deactivating a person and reloading
    must not give their score away (by the average moving, or vanishing below the
    minimum)."""
    people = [person(Role.CONSULTANT, team="Delivery") for _ in range(6)]
    for user, energy in zip(people, (4, 4, 4, 4, 4, 1), strict=True):
        checkin(user, W13, energy=energy)
    before = (value("team_energy"), evidence("team_energy"))

    people[5].is_active = False
    people[5].save(update_fields=["is_active"])

    assert (value("team_energy"), evidence("team_energy")) == before
    assert before[0] == Decimal("3.5")  # 21 / 6

    for user in people[1:5]:
        user.is_active = False
        user.save(update_fields=["is_active"])

    assert value("team_energy") == Decimal("3.5")  # still six check-ins, not one


def test_team_energy_evidence_has_no_breakdown_by_score_or_team(tenant):
    for team in ("Delivery", "Sales"):
        for energy in (1, 2, 3, 4, 5):
            checkin(person(Role.CONSULTANT, team=team), W13, energy=energy)

    shown = evidence("team_energy")

    assert shown.columns == ["Check-ins", "Average energy"]
    assert shown.rows == [[10, "3 of 5"]]
    assert "Delivery" not in shown.explanation and "Sales" not in shown.explanation


def test_team_energy_needs_the_organizations_anonymity_minimum(tenant):
    minimum_set_since_always(7)
    for _ in range(6):
        checkin(person(Role.CONSULTANT), W13, energy=4)

    assert value("team_energy") is None
    assert "only from 7 check-ins" in evidence("team_energy").explanation


# --- Status against target -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "target", "higher_is_better", "status"),
    [
        ("80", "80", True, "on"),
        ("95", "80", True, "on"),
        ("72", "80", True, "near"),  # 10% of 80 below
        ("71.9", "80", True, "off"),
        ("10", "10", False, "on"),
        ("11", "10", False, "near"),  # 10% of 10 above
        ("11.1", "10", False, "off"),
        ("1", "0", False, "off"),  # a target of 0 has no near band
        ("0", "0", False, "on"),
        (None, "80", True, "none"),
        ("80", None, True, "none"),
    ],
)
def test_status_against_target(number, target, higher_is_better, status):
    number = Decimal(number) if number is not None else None
    target = Decimal(target) if target is not None else None

    assert kpi_status(value=number, target=target, higher_is_better=higher_is_better) == status


def test_evidence_rows_are_plain_cells_or_links_and_days_read_as_iso(engagement):
    resolved(engagement, date(2025, 1, 1), date(2025, 1, 11), title="X")

    row = evidence("median_days_to_resolve").rows[0]

    assert isinstance(row[0], Link) and row[0].url.startswith("/pain-points/")
    assert isinstance(row[1], Link) and row[1].url == engagement.get_absolute_url()
    assert row[2:] == ["2025-01-01", "2025-01-11", 10]


def test_evidence_comes_in_pages(engagement, monkeypatch):
    monkeypatch.setattr("health.kpis.base.EVIDENCE_PAGE_SIZE", 2)
    for day in (1, 2, 3):
        resolved(engagement, date(2025, 1, day), date(2025, 1, 20), title=f"Day {day}")
    kpi = kpi_get("median_days_to_resolve")

    first = kpi.evidence(AS_OF, SCOPE)
    second = kpi.evidence(AS_OF, SCOPE, page=2)
    beyond = kpi.evidence(AS_OF, SCOPE, page=3)

    assert [row[0].text for row in first.rows] == ["Day 3", "Day 2"] and first.has_next
    assert [row[0].text for row in second.rows] == ["Day 1"] and not second.has_next
    assert (second.first_row, second.last_row) == (3, 3)
    assert beyond.rows == [] and not beyond.has_next
    assert "3 pain points" in first.explanation and "3 pain points" in second.explanation


def test_the_window_is_as_of_minus_period_to_as_of_both_included(engagement):
    resolved(engagement, date(2024, 12, 1), date(2024, 12, 31))  # AS_OF - 90 days
    resolved(engagement, date(2024, 12, 1), date(2024, 12, 30))  # a day earlier

    assert evidence("median_days_to_resolve").rows[0][3] == "2024-12-31"
    assert len(evidence("median_days_to_resolve").rows) == 1
    assert KpiScope().window(AS_OF) == (AS_OF - timedelta(days=90), AS_OF)


def test_scaling_walls_from_the_stored_projection_equal_a_full_projection(tenant):
    """The indexed count agrees with projecting every pain point in Python, for
    random data, on several days, for every scope the dashboard filters by."""
    import random

    from engagements.projections import ProjectionState, capacity_projection

    rng = random.Random(15)
    leads = [person(Role.LEADER) for _ in range(3)]
    engagements = [
        EngagementFactory(lead=rng.choice(leads), kind=rng.choice(Engagement.Kind.values))
        for _ in range(12)
    ]
    start = date(2025, 1, 1)
    for index in range(400):
        resolved = rng.random() < 0.3
        identified = start + timedelta(days=rng.randint(0, 200))
        capacity = Decimal(rng.randint(100, 100_000))
        PainPointFactory(
            engagement=rng.choice(engagements),
            scaling=True,
            title=f"Wall {index}",
            identified_on=identified,
            current_value=(capacity * Decimal(rng.uniform(0.2, 1.2))).quantize(Decimal("0.01")),
            capacity=capacity,
            monthly_growth_pct=Decimal(rng.randint(0, 4000)) / 100,
            status=PainPoint.Status.RESOLVED
            if resolved
            else rng.choice([PainPoint.Status.OPEN, PainPoint.Status.DEFERRED]),
            resolved_on=identified + timedelta(days=rng.randint(0, 90)) if resolved else None,
        )
    horizon = OrganizationSettings.current().scaling_horizon_days

    def full(as_of, scope):
        count = 0
        for point in PainPoint.objects.filter(category=PainPoint.Category.SCALING):
            engagement = point.engagement
            if scope.lead_id and engagement.lead_id != scope.lead_id:
                continue
            if scope.kind and engagement.kind != scope.kind:
                continue
            if point.identified_on > as_of:
                continue
            if point.status == PainPoint.Status.RESOLVED and point.resolved_on <= as_of:
                continue
            projection = capacity_projection(
                current=point.current_value,
                capacity=point.capacity,
                monthly_growth_pct=point.monthly_growth_pct,
                today=as_of,
            )
            if projection.state is not ProjectionState.NOT_WITHIN_HORIZON and (
                projection.days_from(as_of) <= horizon
            ):
                count += 1
        return Decimal(count)

    scopes = [KpiScope()] + [KpiScope(lead_id=lead.pk) for lead in leads]
    scopes += [KpiScope(kind=kind) for kind in Engagement.Kind.values]
    scopes += [KpiScope(lead_id=leads[0].pk, kind=Engagement.Kind.values[0])]
    checked = 0
    for as_of in (date(2025, 2, 1), date(2025, 5, 1), date(2025, 9, 30)):
        for scope in scopes:
            expected = full(as_of, scope)
            assert value("scaling_breaches_90d", as_of=as_of, scope=scope) == expected
            checked += expected > 0
    assert checked > 10  # the data has walls in most of these views, not zeros everywhere
