"""Daily KPI snapshots (task, backfill, command) and the tiles that draw their trends."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery import app as celery_app
from engagements.models import FollowUp, PainPoint, Recommendation
from handoffs.models import HandoffPacket, HandoffReview, Verdict
from health.kpis.base import KpiScope
from health.kpis.registry import KPIS, kpi_get
from health.kpis.snapshots import kpi_snapshots_backfill, kpi_snapshots_store
from health.kpis.tasks import snapshot_kpis
from health.kpis.tiles import SparklinePoint, kpi_tiles, sparkline_svg
from health.models import KpiSnapshot, KpiTarget
from health.weeks import IsoWeek
from psops.accounts.models import OrganizationSettings, Role
from tests.engagements.factories import (
    EngagementFactory,
    FollowUpFactory,
    PainPointFactory,
    RecommendationFactory,
)
from tests.health.kpis.data import checkin, item, noon, packet, person, review_round, verdict

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 3, 31)
KEYS = [kpi.key for kpi in KPIS]


def followup_done_on_time(due: date):
    return FollowUpFactory(
        due_on=due, status=FollowUp.Status.DONE, completed_at=noon(due - timedelta(days=1))
    )


def snapshot_values(key: str) -> dict[date, Decimal | None]:
    return dict(KpiSnapshot.objects.filter(key=key).values_list("day", "value"))


# --- Storing ---------------------------------------------------------------------------------


def test_storing_twice_keeps_one_row_per_kpi_and_day_with_the_latest_value(tenant):
    followup_done_on_time(date(2025, 3, 20))

    assert kpi_snapshots_store(day=AS_OF) == len(KPIS)
    assert snapshot_values("followups_on_time") == {AS_OF: Decimal("100.0")}

    FollowUpFactory(due_on=date(2025, 3, 21))  # open, so late
    kpi_snapshots_store(day=AS_OF)

    assert KpiSnapshot.objects.count() == len(KPIS)
    assert sorted(KpiSnapshot.objects.values_list("key", flat=True)) == sorted(KEYS)
    assert snapshot_values("followups_on_time") == {AS_OF: Decimal("50.0")}
    assert snapshot_values("time_to_value") == {AS_OF: None}


def test_the_daily_task_stores_today_in_the_sending_tenants_schema_only(tenant, other_tenant):
    assert "health.tasks_kpis.snapshot_kpis" in celery_app.tasks
    followup_done_on_time(timezone.localdate())

    assert snapshot_kpis.delay().get() == len(KPIS)
    assert snapshot_kpis.delay().get() == len(KPIS)

    today = timezone.localdate()
    assert KpiSnapshot.objects.count() == len(KPIS)
    assert snapshot_values("followups_on_time") == {today: Decimal("100.0")}
    connection.set_tenant(other_tenant)
    assert KpiSnapshot.objects.count() == 0


def test_beat_runs_the_snapshot_task_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["kpi-snapshots"]

    assert entry["task"] == "health.tasks_kpis.snapshot_kpis"
    assert entry["schedule"] == timedelta(hours=24)


# --- Backfill --------------------------------------------------------------------------------


def test_backfill_computes_each_past_day_from_history_and_is_idempotent(tenant):
    followup_done_on_time(date(2025, 3, 30))

    assert kpi_snapshots_backfill(days=3, until=AS_OF) == 3 * len(KPIS)
    assert kpi_snapshots_backfill(days=3, until=AS_OF) == 3 * len(KPIS)

    assert KpiSnapshot.objects.count() == 3 * len(KPIS)
    # On March 29 the follow-up was not due yet: nothing to measure.
    assert snapshot_values("followups_on_time") == {
        date(2025, 3, 29): None,
        date(2025, 3, 30): Decimal("100.0"),
        date(2025, 3, 31): Decimal("100.0"),
    }


def test_backfill_rejects_zero_days(tenant):
    with pytest.raises(ValueError, match="1 or more"):
        kpi_snapshots_backfill(days=0, until=AS_OF)


def test_the_backfill_command_fills_one_tenant_or_all(tenant, other_tenant):
    out = io.StringIO()

    call_command(
        "backfill_kpi_snapshots", "--days", "2", "--until", "2025-03-31", "--schema", "acme",
        stdout=out,
    )  # fmt: skip

    assert f"acme: {2 * len(KPIS)} snapshots for 2 days up to 2025-03-31" in out.getvalue()
    assert KpiSnapshot.objects.count() == 2 * len(KPIS)
    connection.set_tenant(other_tenant)
    assert KpiSnapshot.objects.count() == 0

    call_command("backfill_kpi_snapshots", "--days", "2", "--until", "2025-03-31", stdout=out)
    call_command("backfill_kpi_snapshots", "--until", "2025-03-31", stdout=out)

    assert KpiSnapshot.objects.count() == 84 * len(KPIS)  # the default --days 84
    connection.set_tenant(tenant)
    assert KpiSnapshot.objects.count() == 84 * len(KPIS)
    assert set(KpiSnapshot.objects.values_list("day", flat=True)) == {
        AS_OF - timedelta(days=offset) for offset in range(84)
    }


def test_the_backfill_command_refuses_an_unknown_schema_or_no_days(tenant):
    with pytest.raises(CommandError, match="nobody"):
        call_command("backfill_kpi_snapshots", "--schema", "nobody")
    with pytest.raises(CommandError, match="1 or more"):
        call_command("backfill_kpi_snapshots", "--days", "0")
    assert KpiSnapshot.objects.count() == 0


# --- Tiles -----------------------------------------------------------------------------------


def tile(tiles, key):
    return next(t for t in tiles if t.kpi.key == key)


def test_tiles_show_value_target_and_status(tenant):
    followup_done_on_time(date(2025, 3, 20))
    FollowUpFactory(due_on=date(2025, 3, 21))
    KpiTarget.objects.create(key="followups_on_time", target=Decimal("80"))
    KpiTarget.objects.create(key="scaling_breaches_90d", target=Decimal("0"))

    tiles = kpi_tiles(as_of=AS_OF, scope=KpiScope(), today=AS_OF)

    assert [t.kpi.key for t in tiles] == KEYS
    followups = tile(tiles, "followups_on_time")
    assert (followups.display, followups.target_display, followups.status) == ("50%", "80%", "off")
    assert followups.status_label == "Off target"
    breaches = tile(tiles, "scaling_breaches_90d")
    assert (breaches.display, breaches.target_display, breaches.status) == ("0", "0", "on")
    energy = tile(tiles, "team_energy")
    assert (energy.display, energy.status, energy.status_label) == ("—", "none", "No target")
    assert followups.evidence_url == "/kpis/followups_on_time/evidence/"


def test_a_tile_with_a_target_but_nothing_to_measure_says_no_data(tenant):
    KpiTarget.objects.create(key="time_to_value", target=Decimal("30"))

    ttv = tile(kpi_tiles(as_of=AS_OF, scope=KpiScope(), today=AS_OF), "time_to_value")

    assert (ttv.display, ttv.status, ttv.status_label) == ("—", "none", "No data")


def test_the_sparkline_has_twelve_weekly_points_from_the_snapshots(tenant):
    def snap(days_before: int, number: str | None):
        KpiSnapshot.objects.create(
            key="followups_on_time",
            day=AS_OF - timedelta(days=days_before),
            value=Decimal(number) if number else None,
        )

    snap(84, "10")  # before the 12 weeks
    snap(83, "40")  # first week's first day
    snap(77, "50")  # first week's last day: the week's point
    snap(8, "55")
    snap(7, "60")
    snap(0, "70")

    # Looking back from a later day: the snapshots as recorded.
    tiles = kpi_tiles(as_of=AS_OF, scope=KpiScope(), today=AS_OF + timedelta(days=1))

    followups = tile(tiles, "followups_on_time")
    assert [point.value for point in followups.sparkline] == [
        Decimal("50"),
        *[None] * 9,
        Decimal("60"),
        Decimal("70"),
    ]
    assert [point.day for point in followups.sparkline][-2:] == [AS_OF - timedelta(days=7), AS_OF]
    svg = str(followups.sparkline_svg)
    assert 'role="img"' in svg
    assert "from 50% to 70% (up, better)" in svg
    assert svg.count("<polyline") == 2  # the nine empty weeks break the line


def test_on_today_the_sparkline_ends_with_the_live_value(tenant):
    KpiSnapshot.objects.create(key="followups_on_time", day=AS_OF, value=Decimal("70"))
    followup_done_on_time(date(2025, 3, 20))

    followups = tile(kpi_tiles(as_of=AS_OF, scope=KpiScope(), today=AS_OF), "followups_on_time")

    assert followups.sparkline[-1].value == Decimal("100.0")
    assert not followups.trend_is_organization_wide


def test_a_narrowed_tile_says_its_trend_is_the_whole_organizations(tenant):
    KpiSnapshot.objects.create(key="followups_on_time", day=AS_OF, value=Decimal("70"))
    lead = person(Role.LEADER)

    tiles = kpi_tiles(as_of=AS_OF, scope=KpiScope(lead_id=lead.pk), today=AS_OF)

    followups = tile(tiles, "followups_on_time")
    assert followups.trend_is_organization_wide
    assert followups.sparkline[-1].value == Decimal("70")  # the snapshot, not the lead's value
    assert "whole organization" in str(followups.sparkline_svg)
    # Team KPIs ignore the lead, so their trend is exactly theirs.
    assert not tile(tiles, "team_energy").trend_is_organization_wide
    assert tile(tiles, "followups_on_time").evidence_url.endswith(f"?lead={lead.pk}")


def test_the_sparkline_label_says_whether_a_move_is_better_or_worse():
    kpi = kpi_get("median_days_to_resolve")  # lower is better
    points = [SparklinePoint(day=AS_OF, value=Decimal(n)) for n in ("30", "20", "25")]

    svg = str(sparkline_svg(kpi=kpi, points=points))

    assert "from 30 days to 25 days (down, better); lowest 20 days, highest 30 days" in svg
    empty = str(sparkline_svg(kpi=kpi, points=[SparklinePoint(day=AS_OF, value=None)] * 12))
    assert 'role="img"' in empty and "no weekly values recorded" in empty


# --- Query count -----------------------------------------------------------------------------


def history(n: int) -> None:
    """``n`` of everything every KPI reads, all inside the window and the last week."""
    week = IsoWeek.of(AS_OF).shifted(-1)
    for index in range(n):
        engagement = EngagementFactory()
        PainPointFactory(
            engagement=engagement,
            identified_on=date(2024, 11, 1),
            status=PainPoint.Status.RESOLVED,
            resolved_on=date(2025, 1, 15),
        )
        PainPointFactory(engagement=engagement, scaling=True, identified_on=date(2025, 1, 1))
        RecommendationFactory(
            engagement=engagement,
            status=Recommendation.Status.ACCEPTED,
            decided_on=date(2025, 2, 1),
        )
        followup_done_on_time(date(2025, 3, 1))
        packet_ = packet(
            status=HandoffPacket.Status.ACCEPTED,
            engagement=engagement,
            decided_at=noon(date(2025, 1, 10)),
        )
        review = review_round(
            packet_, round=1, reviewed_on=date(2025, 1, 10), decision=HandoffReview.Decision.ACCEPT
        )
        verdict(review, item(packet_), Verdict.UNCLEAR if index % 2 else Verdict.IN_SCOPE)
        checkin(person(Role.CONSULTANT), week, energy=1 + index % 5)


def tile_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        tiles = kpi_tiles(as_of=AS_OF, scope=KpiScope(), today=AS_OF)
    assert all(t.value is not None for t in tiles)
    return len(queries)


def test_tiles_take_the_same_number_of_queries_for_ten_times_the_rows(tenant):
    OrganizationSettings.current()
    history(5)
    few = tile_queries()
    history(45)
    many = tile_queries()

    assert few == many
    assert many <= 2 * len(KPIS) + 2
