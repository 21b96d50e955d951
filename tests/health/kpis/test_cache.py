"""KPI values from the cache: the same numbers as a fresh computation, after any write."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engagements.models import Engagement, FollowUp, PainPoint, Recommendation
from health.kpis.base import KpiScope
from health.kpis.cache import (
    TRIGGER,
    UNTRACKED,
    data_changes_compact,
    data_generation,
    tracked_tables,
)
from health.kpis.registry import KPIS
from health.kpis.tiles import kpi_tiles
from health.models import KpiDataChange
from psops.accounts.models import Notification, OrganizationSettings, Role
from tests.engagements.factories import (
    EngagementFactory,
    FollowUpFactory,
    PainPointFactory,
    RecommendationFactory,
)
from tests.health.kpis.data import person

pytestmark = pytest.mark.django_db


WHOLE = KpiScope()


def tile_values(as_of: date, scope: KpiScope = WHOLE) -> dict:
    return {tile.kpi.key: tile.value for tile in kpi_tiles(as_of=as_of, scope=scope)}


def fresh_values(as_of: date, scope: KpiScope = WHOLE) -> dict:
    return {kpi.key: kpi.compute(as_of, scope) for kpi in KPIS}


def triggers_on(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE t.tgname = %s AND n.nspname = %s
            """,
            [TRIGGER, schema],
        )
        return {row[0] for row in cursor.fetchall()}


def test_every_table_the_kpis_may_read_counts_its_writes(tenant):
    """A new model of a tracked app gets its trigger, or a reason in UNTRACKED."""
    with_trigger = triggers_on(tenant.schema_name)
    assert set(tracked_tables()) <= with_trigger
    assert not with_trigger & UNTRACKED.keys()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", [tenant.schema_name]
        )
        tables = {row[0] for row in cursor.fetchall()}
    assert UNTRACKED.keys() <= tables  # no reason kept for a table that is gone
    assert {"engagements_followup", "handoffs_handoffverdict", "accounts_user"} <= with_trigger


def test_every_write_path_moves_the_generation(tenant):
    engagement = EngagementFactory()
    point = PainPointFactory(engagement=engagement)
    seen = {data_generation()}

    def moved() -> bool:
        generation = data_generation()
        new = generation not in seen
        seen.add(generation)
        return new

    PainPoint.objects.filter(pk=point.pk).update(title="Renamed")  # bulk update
    assert moved()
    PainPoint.objects.bulk_create([PainPoint(engagement=engagement, title="Bulk")])
    assert moved()
    engagement.team.add(person(Role.CONSULTANT))  # a many-to-many table
    assert moved()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE engagements_painpoint SET severity = 'high'")  # raw SQL
    assert moved()
    PainPoint.objects.filter(title="Bulk").delete()
    assert moved()


def test_writes_no_kpi_reads_leave_it_alone(tenant, leader):
    before = data_generation()
    Notification.objects.create(recipient=leader, title="Hello", url="/")
    assert data_generation() == before


def test_the_generation_of_a_writing_transaction_is_its_own(tenant):
    """Values cached inside a transaction that wrote are keyed by its id: after a
    rollback no one else ever reads them."""
    EngagementFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text")
        xid = cursor.fetchone()[0]
    assert data_generation().endswith(f".{xid}")


def test_compaction_keeps_the_generation(tenant):
    for index in range(5):
        EngagementFactory(name=f"E{index}")
    before = data_generation()
    assert KpiDataChange.objects.count() > 1

    data_changes_compact()

    assert KpiDataChange.objects.count() == 1
    assert data_generation() == before


def test_a_second_view_reads_the_cache_and_a_write_recomputes(tenant):
    as_of = timezone.localdate()
    OrganizationSettings.current()  # made on first read, a write of its own
    EngagementFactory()
    with CaptureQueriesContext(connection) as first:
        kpi_tiles(as_of=as_of, scope=KpiScope())
    with CaptureQueriesContext(connection) as second:
        values = tile_values(as_of)
    # Targets, trends, settings and the generation; the values come from the cache.
    aggregates = ("COUNT(", "PERCENTILE_CONT", "AVG(")
    assert any(word in q["sql"] for q in first.captured_queries for word in aggregates)
    assert not any(word in q["sql"] for q in second.captured_queries for word in aggregates)
    assert len(second) <= 4 < len(first)
    assert values == fresh_values(as_of)

    FollowUpFactory(due_on=as_of - timedelta(days=3), status=FollowUp.Status.OPEN)
    with CaptureQueriesContext(connection) as after_write:
        values = tile_values(as_of)
    assert len(after_write) == len(first)
    assert values == fresh_values(as_of)


def test_cached_values_equal_a_fresh_computation_after_random_writes(tenant):
    """The fast path against the full computation, through every kind of write."""
    rng = random.Random(1503)
    as_of = date(2025, 6, 30)
    OrganizationSettings.current()
    leads = [person(Role.LEADER) for _ in range(2)]
    engagements = [
        EngagementFactory(lead=rng.choice(leads), kind=rng.choice(Engagement.Kind.values))
        for _ in range(6)
    ]
    scopes = [KpiScope(), KpiScope(lead_id=leads[0].pk), KpiScope(kind="success")]
    scopes.append(KpiScope(period_days=180))

    def day() -> date:
        return as_of - timedelta(days=rng.randint(0, 150))

    def write() -> None:
        engagement = rng.choice(engagements)
        match rng.randrange(6):
            case 0:
                identified = day()
                PainPointFactory(
                    engagement=engagement,
                    identified_on=identified,
                    status=PainPoint.Status.RESOLVED,
                    resolved_on=min(as_of, identified + timedelta(days=rng.randint(0, 60))),
                )
            case 1:
                PainPointFactory(
                    engagement=engagement,
                    scaling=True,
                    identified_on=day(),
                    current_value=Decimal(rng.randint(500, 1400)),
                )
            case 2:
                FollowUpFactory(engagement=engagement, due_on=day())
            case 3:
                proposed = day()
                RecommendationFactory(
                    engagement=engagement,
                    proposed_on=proposed,
                    status=rng.choice(Recommendation.Status.values),
                    decided_on=proposed + timedelta(days=rng.randint(0, 20)),
                    decision_reason="Budget.",
                )
            case 4:  # a bulk write: every open follow-up of one engagement done
                FollowUp.objects.filter(engagement=engagement).update(
                    status=FollowUp.Status.DONE, completed_at=timezone.now()
                )
            case 5:  # a delete
                doomed = PainPoint.objects.filter(engagement=engagement).order_by("?")[:1]
                PainPoint.objects.filter(pk__in=list(doomed.values_list("pk", flat=True))).delete()

    for _ in range(25):
        for scope in scopes:
            tile_values(as_of, scope)  # computed and cached (the last write moved the key)
        for scope in scopes:
            # From the cache: the same numbers as computing them now.
            with CaptureQueriesContext(connection) as queries:
                cached = tile_values(as_of, scope)
            assert len(queries) <= 4
            assert cached == fresh_values(as_of, scope)
        write()
    assert any(value for value in fresh_values(as_of).values())


def test_an_unreachable_cache_costs_speed_not_the_numbers(tenant, monkeypatch):
    as_of = timezone.localdate()
    EngagementFactory()

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr("health.kpis.cache.cache.get", down)
    monkeypatch.setattr("health.kpis.cache.cache.set", down)

    assert tile_values(as_of) == fresh_values(as_of)


def test_a_pulse_answer_leaves_no_trace_in_the_tally(tenant):
    from health.models import HeldPulseAnswer, PulseParticipation, PulseResponse

    assert not {
        model._meta.db_table for model in (PulseResponse, PulseParticipation, HeldPulseAnswer)
    } & triggers_on(tenant.schema_name)
    assert [field.name for field in KpiDataChange._meta.fields] == ["id", "weight"]


def test_the_dashboards_cached_tiles_equal_a_fresh_render_after_each_write(
    tenant, client_for, leader
):
    from django.template.loader import render_to_string

    from health.models import KpiSnapshot, KpiTarget

    OrganizationSettings.current()
    engagement = EngagementFactory(lead=leader)
    client = client_for(leader)
    today = timezone.localdate()

    def served() -> str:
        html = client.get("/").content.decode()
        return html[html.index('<ul class="kpi-tiles"') : html.index('<div id="kpi-evidence"')]

    def fresh() -> str:
        html = render_to_string(
            "health/kpis/_tiles.html", {"tiles": kpi_tiles(as_of=today, scope=WHOLE)}
        )
        return html[html.index('<ul class="kpi-tiles"') : html.index('<div id="kpi-evidence"')]

    writes = [
        lambda: PainPointFactory(
            engagement=engagement,
            identified_on=today - timedelta(days=9),
            status=PainPoint.Status.RESOLVED,
            resolved_on=today - timedelta(days=2),
        ),
        lambda: KpiTarget.objects.create(key="median_days_to_resolve", target=Decimal("5")),
        lambda: KpiSnapshot.objects.create(
            key="median_days_to_resolve", day=today - timedelta(days=14), value=Decimal("12")
        ),
        lambda: FollowUp.objects.update(status=FollowUp.Status.CANCELLED),
    ]
    FollowUpFactory(engagement=engagement, due_on=today - timedelta(days=1))
    assert served() == fresh()
    for write in writes:
        before = served()
        assert served() == before  # read again: from the cache
        write()
        assert served() == fresh()
    assert "Target 5 days" in served()
