"""The effort rules, on the services directly: each refusal says why and changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from capacity.effort import services
from capacity.hours import monday_of
from capacity.models import EffortEntry, TimesheetWeek
from tests.capacity.effort.conftest import LAST_MONDAY, TODAY, day
from tests.capacity.factories import EffortEntryFactory
from tests.engagements.factories import EngagementFactory, PainPointFactory, RecommendationFactory

pytestmark = pytest.mark.django_db


def log(person, engagement, hours, *, on=None, by=None, **extra):
    return services.effort_log(
        person=person,
        by=by or person,
        engagement=engagement,
        worked_on=on or day(1),
        hours=Decimal(hours),
        **extra,
    )


def refused(call, *args, **kwargs) -> str:
    before = sorted(EffortEntry.objects.values_list("pk", "hours", "worked_on", "billable"))
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    after = sorted(EffortEntry.objects.values_list("pk", "hours", "worked_on", "billable"))
    assert after == before, "a refused write changed effort"
    return " ".join(caught.value.messages)


def test_a_consultant_logs_on_what_they_lead_and_their_team(consultant, led, teamed, pain_point):
    entry = log(consultant, led, "2.5", pain_point=pain_point, note=" workshop ", billable=False)
    log(consultant, teamed, "3")
    entry.refresh_from_db()
    assert (entry.hours, entry.pain_point, entry.note, entry.billable) == (
        Decimal("2.50"),
        pain_point,
        "workshop",
        False,
    )
    assert EffortEntry.objects.filter(person=consultant).count() == 2


def test_leaders_and_admins_log_anywhere_sales_nowhere(leader, admin_user, sales, elsewhere):
    log(leader, elsewhere, "1")
    log(admin_user, elsewhere, "1")
    assert "may not log effort" in refused(log, sales, elsewhere, "1")


def test_a_consultant_may_not_log_on_someone_elses_engagement(consultant, elsewhere):
    assert "may not log effort on Fabrikam migration" in refused(log, consultant, elsewhere, "1")


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0", "Log more than 0 hours."),
        ("-2", "Log more than 0 hours."),
        ("0.1", "quarter of an hour"),
        ("25", "24 hours at most"),
        ("1.255", "two decimals"),
    ],
)
def test_hours_out_of_range_are_refused(consultant, led, hours, message):
    assert message in refused(log, consultant, led, hours)


def test_more_than_24_hours_a_day_in_all_is_refused(consultant, led, teamed):
    log(consultant, led, "16")
    message = refused(log, consultant, teamed, "8.25")
    assert "already has 16 h" in message and "pass 24 h" in message
    log(consultant, teamed, "8")  # exactly 24 is a (long) day


def test_the_daily_limit_counts_only_that_person_and_that_day(consultant, leader, led):
    EffortEntryFactory(person=leader, engagement=led, worked_on=day(1), hours=20)
    EffortEntryFactory(person=consultant, engagement=led, worked_on=day(2), hours=20)
    log(consultant, led, "20", on=day(1))


def test_a_day_still_to_come_is_refused_today_is_not(consultant, led):
    assert "still to come" in refused(log, consultant, led, "1", on=TODAY + timedelta(days=1))
    log(consultant, led, "1", on=TODAY)


def test_a_pain_point_or_recommendation_of_another_engagement_is_refused(consultant, led, teamed):
    other_pain = PainPointFactory(engagement=teamed)
    other_advice = RecommendationFactory(engagement=teamed)
    assert "pain point of this engagement" in refused(
        log, consultant, led, "1", pain_point=other_pain
    )
    assert "recommendation of this engagement" in refused(
        log, consultant, led, "1", recommendation=other_advice
    )


def test_a_consultant_logs_only_for_themselves(consultant, make_user, led):
    colleague = make_user()
    led.team.add(colleague)
    assert "only for yourself" in refused(log, colleague, led, "1", by=consultant)


def test_a_submitted_week_is_locked_for_its_person_not_for_leaders(consultant, leader, led):
    entry = log(consultant, led, "4")
    services.timesheet_submit(person=consultant, by=consultant, week=LAST_MONDAY)

    assert "submitted" in refused(log, consultant, led, "1", on=day(2))
    assert "submitted" in refused(
        services.effort_update, entry=entry, by=consultant, hours=Decimal("5")
    )
    assert "submitted" in refused(services.effort_delete, entry=entry, by=consultant)
    # Moving an entry out of a locked week into an open one is a change of the locked week.
    assert "submitted" in refused(
        services.effort_update, entry=entry, by=consultant, worked_on=TODAY
    )

    services.effort_update(entry=entry, by=leader, hours=Decimal("5"))
    log(consultant, led, "1", on=day(2), by=leader)
    entry.refresh_from_db()
    assert entry.hours == Decimal("5.00")


def test_an_open_entry_may_not_move_into_a_locked_week(consultant, led):
    entry = log(consultant, led, "2", on=LAST_MONDAY - timedelta(days=3))
    services.timesheet_submit(person=consultant, by=consultant, week=LAST_MONDAY)
    assert "submitted" in refused(
        services.effort_update, entry=entry, by=consultant, worked_on=day(0)
    )


def test_update_checks_the_day_without_counting_the_entry_twice(consultant, led, teamed):
    entry = log(consultant, led, "20")
    log(consultant, teamed, "2")
    services.effort_update(entry=entry, by=consultant, hours=Decimal("22"))
    assert "pass 24 h" in refused(
        services.effort_update, entry=entry, by=consultant, hours=Decimal("22.5")
    )
    other_pain = PainPointFactory(engagement=teamed)
    assert "pain point of this engagement" in refused(
        services.effort_update, entry=entry, by=consultant, pain_point=other_pain
    )


def test_delete(consultant, led):
    entry = log(consultant, led, "2")
    services.effort_delete(entry=entry, by=consultant)
    assert not EffortEntry.objects.exists()


# --- The grid ----------------------------------------------------------------------------


def save(person, cells, *, by=None, billable=None):
    return services.timesheet_save(
        person=person, by=by or person, week=LAST_MONDAY, hours=cells, billable=billable
    )


def cell_hours(person):
    return {
        (e.engagement_id, e.worked_on): e.hours for e in EffortEntry.objects.filter(person=person)
    }


def test_the_grid_sets_removes_and_replaces_a_days_hours(consultant, led, teamed, pain_point):
    kept = EffortEntryFactory(
        person=consultant, engagement=led, worked_on=day(0), hours=2, pain_point=pain_point
    )
    EffortEntryFactory.create_batch(2, person=consultant, engagement=teamed, worked_on=day(1))
    EffortEntryFactory(person=consultant, engagement=teamed, worked_on=day(2), hours=1)

    changed = save(
        consultant,
        {
            (led.pk, day(0)): Decimal("3"),  # one entry: it keeps its pain point
            (teamed.pk, day(1)): Decimal("5"),  # two entries become one
            (teamed.pk, day(2)): Decimal("0"),  # removed
            (led.pk, day(3)): Decimal("1.5"),  # new
            (led.pk, day(4)): Decimal("0"),  # nothing there, nothing to do
        },
    )
    assert changed == 4
    assert cell_hours(consultant) == {
        (led.pk, day(0)): Decimal("3.00"),
        (teamed.pk, day(1)): Decimal("5.00"),
        (led.pk, day(3)): Decimal("1.50"),
    }
    kept.refresh_from_db()
    assert kept.hours == Decimal("3.00") and kept.pain_point == pain_point


def test_the_grid_checks_the_day_as_it_will_be(consultant, led, teamed):
    EffortEntryFactory(person=consultant, engagement=led, worked_on=day(0), hours=10)
    EffortEntryFactory(person=consultant, engagement=teamed, worked_on=day(0), hours=10)
    # Moving hours between engagements on a full day is fine whatever the order.
    save(consultant, {(led.pk, day(0)): Decimal("4"), (teamed.pk, day(0)): Decimal("16")})
    message = refused(save, consultant, {(led.pk, day(0)): Decimal("8.5")})
    assert "24.5 h in all" in message


def test_one_refused_cell_saves_nothing_and_names_every_problem(consultant, led, elsewhere):
    message = refused(
        save,
        consultant,
        {
            (led.pk, day(0)): Decimal("2"),
            (led.pk, day(1)): Decimal("-1"),
            (elsewhere.pk, day(2)): Decimal("1"),
        },
    )
    assert "Warehouse rollout" in message and "cannot be negative" in message
    assert "may not log effort on Fabrikam migration" in message


def test_the_grid_refuses_days_to_come_and_days_of_another_week(consultant, led):
    monday = LAST_MONDAY + timedelta(weeks=1)
    future = TODAY + timedelta(days=1)
    assert "still to come" in refused(
        services.timesheet_save,
        person=consultant,
        by=consultant,
        week=monday_of(future),
        hours={(led.pk, future): Decimal("1")},
    )
    assert "not in the week" in refused(save, consultant, {(led.pk, monday): Decimal("1")})


def test_the_billable_toggle_sets_the_rows_week(consultant, led):
    EffortEntryFactory(person=consultant, engagement=led, worked_on=day(0), billable=True)
    EffortEntryFactory(person=consultant, engagement=led, worked_on=day(1), billable=True)
    before_the_week = EffortEntryFactory(
        person=consultant, engagement=led, worked_on=day(-1), billable=True
    )
    assert save(consultant, {}, billable={led.pk: False}) == 1
    assert set(
        EffortEntry.objects.filter(worked_on__gte=LAST_MONDAY).values_list("billable", flat=True)
    ) == {False}
    before_the_week.refresh_from_db()
    assert before_the_week.billable


def test_a_locked_grid_refuses_its_person_only(consultant, leader, led):
    services.timesheet_submit(person=consultant, by=consultant, week=LAST_MONDAY)
    assert "submitted" in refused(save, consultant, {(led.pk, day(0)): Decimal("1")})
    save(consultant, {(led.pk, day(0)): Decimal("1")}, by=leader)
    assert cell_hours(consultant) == {(led.pk, day(0)): Decimal("1.00")}


def test_saving_what_is_already_there_changes_nothing_even_when_locked(consultant, led):
    EffortEntryFactory(person=consultant, engagement=led, worked_on=day(0), hours=2)
    services.timesheet_submit(person=consultant, by=consultant, week=LAST_MONDAY)
    assert save(consultant, {(led.pk, day(0)): Decimal("2")}) == 0


# --- Submitting ----------------------------------------------------------------------------


def test_submit_and_reopen(consultant, leader):
    week = services.timesheet_submit(person=consultant, by=consultant, week=day(3))
    assert (week.week_starts_on, week.submitted_by) == (LAST_MONDAY, consultant)
    with pytest.raises(ValidationError, match="already submitted"):
        services.timesheet_submit(person=consultant, by=consultant, week=LAST_MONDAY)
    with pytest.raises(ValidationError, match="Only leaders and admins"):
        services.timesheet_reopen(person=consultant, by=consultant, week=LAST_MONDAY)
    services.timesheet_reopen(person=consultant, by=leader, week=LAST_MONDAY)
    assert not TimesheetWeek.objects.exists()
    with pytest.raises(ValidationError, match="not submitted"):
        services.timesheet_reopen(person=consultant, by=leader, week=LAST_MONDAY)


def test_a_week_to_come_cannot_be_submitted(consultant):
    with pytest.raises(ValidationError, match="not started"):
        services.timesheet_submit(
            person=consultant, by=consultant, week=LAST_MONDAY + timedelta(weeks=2)
        )


def test_only_leaders_and_admins_submit_for_someone_else(consultant, make_user, admin_user):
    colleague = make_user()
    with pytest.raises(ValidationError, match="only for yourself"):
        services.timesheet_submit(person=colleague, by=consultant, week=LAST_MONDAY)
    services.timesheet_submit(person=colleague, by=admin_user, week=LAST_MONDAY)


def test_every_write_locks_the_persons_row_first(consultant, led):
    with CaptureQueriesContext(connection) as queries:
        log(consultant, led, "1")
    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert locks and '"accounts_user"' in locks[0]


def test_an_engagement_can_be_logged_on_when_its_team_changes(consultant, led):
    newcomer_engagement = EngagementFactory()
    newcomer_engagement.team.add(consultant)
    log(consultant, newcomer_engagement, "1")
