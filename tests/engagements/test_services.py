"""Engagement services and selectors, called directly.

Each service that matters leaves an entry on the engagement's timeline; the tests
read that entry the way a user reads the timeline (its summary and who did it), and
check that a refused write leaves nothing behind.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from engagements import selectors, services
from engagements.models import (
    Activity,
    Engagement,
    EngagementReset,
    Escalation,
    FollowUp,
    PainPoint,
    Recommendation,
    Stakeholder,
)
from engagements.services import EscalationCheck
from psops.accounts.models import Role
from tests.engagements.factories import (
    ActivityFactory,
    ClientFactory,
    EngagementFactory,
    EscalationFactory,
    FollowUpFactory,
    PainPointFactory,
    RecommendationFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)
TARGET = date(2026, 6, 30)


def timeline(engagement) -> list[Activity]:
    return list(Activity.objects.filter(engagement=engagement).order_by("occurred_at", "id"))


def summaries(engagement) -> list[str]:
    return [activity.summary for activity in timeline(engagement)]


@pytest.fixture
def ada(make_user):
    return make_user(Role.CONSULTANT, full_name="Ada Lovelace")


@pytest.fixture
def grace(make_user):
    return make_user(Role.CONSULTANT, full_name="Grace Hopper")


@pytest.fixture
def alan(make_user):
    return make_user(Role.CONSULTANT, full_name="Alan Turing")


@pytest.fixture
def engagement(tenant, ada):
    return EngagementFactory(
        client=ClientFactory(name="Initech"),
        name="Warehouse rollout",
        lead=ada,
        start_date=START,
        target_end_date=TARGET,
        status=Engagement.Status.ACTIVE,
    )


# --- Notes, creation and updates --------------------------------------------------------


class TestNotes:
    def test_a_call_recap_is_summarised_by_its_first_line(self, engagement, ada):
        activity = services.activity_add_note(
            engagement=engagement,
            kind=Activity.Kind.CALL_RECAP,
            body="  Sponsor wants weekly demos.\nAlso: budget review in May.  ",
            by=ada,
        )

        assert activity.summary == "Call recap: Sponsor wants weekly demos."
        assert activity.body == "Sponsor wants weekly demos.\nAlso: budget review in May."
        assert activity.actor == ada
        assert timeline(engagement) == [activity]

    def test_an_empty_note_is_refused(self, engagement, ada):
        with pytest.raises(ValidationError) as error:
            services.activity_add_note(
                engagement=engagement, kind=Activity.Kind.NOTE, body=" \n ", by=ada
            )

        assert error.value.message_dict == {"body": ["Write something first."]}
        assert timeline(engagement) == []

    def test_a_person_cannot_write_a_system_entry(self, engagement, ada):
        with pytest.raises(ValidationError) as error:
            services.activity_add_note(
                engagement=engagement, kind=Activity.Kind.STATUS_CHANGE, body="Closed!", by=ada
            )

        assert "kind" in error.value.message_dict
        assert timeline(engagement) == []


class TestEngagementCreate:
    def test_it_saves_the_team_and_says_so_on_the_timeline(self, tenant, ada, grace, alan):
        client = ClientFactory(name="Umbrella")

        engagement = services.engagement_create(
            by=ada,
            team=[grace, alan],
            client=client,
            name="Data migration",
            kind=Engagement.Kind.SUCCESS,
            status=Engagement.Status.PLANNED,
            lead=ada,
        )

        assert set(engagement.team.all()) == {grace, alan}
        [created] = timeline(engagement)
        assert created.kind == Activity.Kind.CREATED
        assert created.summary == "Engagement created (Ongoing success, planned)"
        assert created.actor == ada

    def test_an_end_before_the_start_is_refused_and_nothing_is_saved(self, tenant, ada):
        client = ClientFactory()

        with pytest.raises(ValidationError):
            services.engagement_create(
                by=ada,
                client=client,
                name="Backwards",
                start_date=date(2026, 5, 1),
                target_end_date=date(2026, 4, 1),
            )

        assert not Engagement.objects.filter(name="Backwards").exists()
        assert not Activity.objects.exists()


class TestEngagementUpdate:
    def test_a_status_change_is_on_the_timeline_with_who_made_it(self, engagement, grace):
        services.engagement_update(
            engagement=engagement, by=grace, status=Engagement.Status.ON_HOLD
        )

        engagement.refresh_from_db()
        assert engagement.status == Engagement.Status.ON_HOLD
        [change] = timeline(engagement)
        assert change.kind == Activity.Kind.STATUS_CHANGE
        assert change.summary == "Status changed from Active to On hold"
        assert change.actor == grace

    def test_other_changes_leave_no_status_entry(self, engagement, ada, grace):
        services.engagement_update(
            engagement=engagement,
            by=ada,
            team=[grace],
            name="Warehouse rollout, phase 2",
            status=Engagement.Status.ACTIVE,  # the same status, sent by an edit form
            budget_hours=800,
        )

        engagement.refresh_from_db()
        assert engagement.name == "Warehouse rollout, phase 2"
        assert engagement.budget_hours == 800
        assert list(engagement.team.all()) == [grace]
        assert timeline(engagement) == []

    def test_team_none_leaves_the_team_alone(self, engagement, ada, grace):
        engagement.team.add(grace)

        services.engagement_update(engagement=engagement, by=ada, budget_hours=10)

        assert list(engagement.team.all()) == [grace]

    def test_an_invalid_change_is_refused_and_nothing_changes(self, engagement, ada):
        with pytest.raises(ValidationError):
            services.engagement_update(
                engagement=engagement,
                by=ada,
                status=Engagement.Status.CLOSED,
                target_end_date=START - timedelta(days=1),
            )

        engagement.refresh_from_db()
        assert engagement.status == Engagement.Status.ACTIVE
        assert engagement.target_end_date == TARGET
        assert timeline(engagement) == []


# --- Resets ----------------------------------------------------------------------------


class TestEngagementReset:
    @pytest.fixture
    def troubled(self, engagement, grace, alan):
        engagement.team.add(alan)
        return engagement

    def reset(self, engagement, by, **overrides):
        arguments = {
            "new_target_end_date": date(2026, 9, 30),
            "team_add": [],
            "team_remove": [],
            "expectations": "Go-live moves to September; weekly steering calls.",
        }
        return services.engagement_reset(engagement=engagement, by=by, **arguments | overrides)

    def test_a_reset_moves_the_date_changes_the_team_and_is_on_the_timeline(
        self, troubled, ada, grace, alan
    ):
        reset = self.reset(troubled, ada, team_add=[grace], team_remove=[alan])

        troubled.refresh_from_db()
        assert troubled.status == Engagement.Status.RESET
        assert troubled.target_end_date == date(2026, 9, 30)
        assert list(troubled.team.all()) == [grace]

        assert EngagementReset.objects.get() == reset
        assert reset.previous_target_end_date == TARGET
        assert reset.previous_status == Engagement.Status.ACTIVE
        assert list(reset.team_added.all()) == [grace]
        assert list(reset.team_removed.all()) == [alan]
        assert reset.reset_by == ada

        [entry] = timeline(troubled)
        assert entry.kind == Activity.Kind.RESET
        assert entry.summary == (
            "Engagement reset: target date 2026-06-30 → 2026-09-30; "
            "added Grace Hopper; removed Alan Turing"
        )
        assert entry.body == "Go-live moves to September; weekly steering calls."
        assert entry.actor == ada

    def test_a_reset_without_a_previous_date_or_team_changes(self, troubled, ada):
        Engagement.objects.filter(pk=troubled.pk).update(target_end_date=None)

        self.reset(troubled, ada)

        assert summaries(troubled) == ["Engagement reset: target date none → 2026-09-30"]

    def test_the_new_date_may_be_the_start_date(self, troubled, ada):
        self.reset(troubled, ada, new_target_end_date=START)

        troubled.refresh_from_db()
        assert troubled.target_end_date == START

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"expectations": "  \n "}, "Say what is expected from here on."),
            (
                {"new_target_end_date": START - timedelta(days=1)},
                "The new target date is before the engagement's start.",
            ),
        ],
    )
    def test_refused_resets_change_nothing(self, troubled, ada, grace, overrides, message):
        with pytest.raises(ValidationError) as error:
            self.reset(troubled, ada, team_add=[grace], **overrides)

        assert message in error.value.messages
        self.assert_unchanged(troubled)

    def test_a_closed_engagement_cannot_be_reset(self, troubled, ada, grace):
        Engagement.objects.filter(pk=troubled.pk).update(status=Engagement.Status.CLOSED)

        with pytest.raises(ValidationError) as error:
            self.reset(troubled, ada, team_add=[grace])

        assert error.value.messages == ["A closed engagement cannot be reset."]
        self.assert_unchanged(troubled, status=Engagement.Status.CLOSED)

    def test_nobody_is_added_and_removed_at_once(self, troubled, ada, grace, alan):
        with pytest.raises(ValidationError) as error:
            self.reset(troubled, ada, team_add=[grace, alan], team_remove=[alan])

        assert error.value.messages == ["Nobody can be added and removed in the same reset."]
        self.assert_unchanged(troubled)

    @staticmethod
    def assert_unchanged(engagement, status=Engagement.Status.ACTIVE):
        engagement.refresh_from_db()
        assert engagement.status == status
        assert engagement.target_end_date == TARGET
        assert [user.full_name for user in engagement.team.all()] == ["Alan Turing"]
        assert not EngagementReset.objects.exists()
        assert timeline(engagement) == []


# --- Stakeholders ----------------------------------------------------------------------


class TestStakeholderSave:
    def test_a_stakeholder_is_attached_to_engagements_of_its_client(self, engagement):
        stakeholder = Stakeholder(client=engagement.client, name="Pat Sponsor")

        services.stakeholder_save(stakeholder=stakeholder, engagements=[engagement])

        assert list(engagement.stakeholders.all()) == [stakeholder]

    def test_an_engagement_of_another_client_is_refused_and_nothing_is_saved(self, engagement):
        other = EngagementFactory(client=ClientFactory(name="Hooli"))
        stakeholder = Stakeholder(client=engagement.client, name="Pat Sponsor")

        with pytest.raises(ValidationError) as error:
            services.stakeholder_save(stakeholder=stakeholder, engagements=[engagement, other])

        assert "engagements" in error.value.message_dict
        assert not Stakeholder.objects.filter(name="Pat Sponsor").exists()


class TestStakeholderAddToEngagement:
    def test_a_known_person_is_matched_by_name_and_keeps_what_was_recorded(self, engagement):
        known = StakeholderFactory(
            client=engagement.client, name="Dana Reyes", title="COO", email="dana@client.test"
        )

        stakeholder = services.stakeholder_add_to_engagement(
            engagement=engagement,
            name="dana REYES",
            title="Chief Operating Officer",
            email="d.reyes@client.test",
            role=Stakeholder.Role.SPONSOR,
        )

        assert stakeholder == known
        known.refresh_from_db()
        assert (known.title, known.email, known.role) == (
            "COO",
            "dana@client.test",
            Stakeholder.Role.SPONSOR,
        )
        assert list(known.engagements.all()) == [engagement]

    def test_a_new_person_is_added_to_the_client_and_the_engagement(self, engagement):
        stakeholder = services.stakeholder_add_to_engagement(
            engagement=engagement, name="Lee Park", email="lee@client.test", role="champion"
        )

        assert stakeholder.client == engagement.client
        assert list(engagement.stakeholders.all()) == [stakeholder]

    def test_an_invalid_person_is_refused_and_nothing_is_saved(self, engagement):
        with pytest.raises(ValidationError) as refused:
            services.stakeholder_add_to_engagement(
                engagement=engagement, name="Lee Park", email="not-an-email", role="champion"
            )

        assert "email" in refused.value.message_dict
        assert not Stakeholder.objects.filter(client=engagement.client).exists()


class TestClientGetOrCreate:
    def test_an_existing_client_is_found_regardless_of_case_and_spaces(self, tenant):
        existing = ClientFactory(name="Initech Logistics")

        assert services.client_get_or_create(name="  initech LOGISTICS ") == (existing, False)

    def test_an_unknown_name_creates_the_client(self, tenant):
        client, created = services.client_get_or_create(name=" Hooli ")

        assert created
        assert client.pk and client.name == "Hooli"

    def test_an_empty_name_is_refused(self, tenant):
        with pytest.raises(ValidationError):
            services.client_get_or_create(name="   ")


# --- Pain points -----------------------------------------------------------------------

SCALING = {
    "title": "Order volume nears the queue limit",
    "category": PainPoint.Category.SCALING,
    "severity": "high",
    "metric_name": "Orders per day",
    "metric_unit": "orders",
    "current_value": Decimal("1000"),
    "capacity": Decimal("1500"),
    "monthly_growth_pct": Decimal("9.2"),
}


class TestPainPointLog:
    def test_a_pain_point_is_on_the_timeline_with_its_severity(self, engagement, grace):
        pain_point = services.pain_point_log(
            engagement=engagement,
            by=grace,
            title="Exports take an hour",
            category=PainPoint.Category.PERFORMANCE,
            severity="critical",
        )

        assert pain_point.identified_by == grace
        assert pain_point.is_open
        [entry] = timeline(engagement)
        assert entry.kind == Activity.Kind.PAIN_POINT
        assert entry.summary == "Pain point logged: Exports take an hour (Critical)"
        assert entry.actor == grace

    def test_a_scaling_pain_point_carries_its_projection_to_the_timeline(self, engagement, grace):
        pain_point = services.pain_point_log(engagement=engagement, by=grace, **SCALING)

        # 1000 * 1.092^t = 1500 at t = 4.607 months, which is 140 days.
        reached = timezone.localdate() + timedelta(days=140)
        assert pain_point.projection().reached_on == reached
        assert summaries(engagement) == [
            "Pain point logged: Order volume nears the queue limit (High; capacity reached "
            f"in about 4.6 months, around {date_format(reached)})"
        ]

    @pytest.mark.parametrize(
        "missing",
        [
            {"metric_name": ""},
            {"current_value": None},
            {"capacity": None},
            {"monthly_growth_pct": None},
            {"current_value": Decimal("0")},
            {"capacity": Decimal("-1")},
            {"monthly_growth_pct": Decimal("-0.5")},
        ],
    )
    def test_a_scaling_pain_point_without_usable_numbers_is_refused(
        self, engagement, grace, missing
    ):
        with pytest.raises(ValidationError):
            services.pain_point_log(engagement=engagement, by=grace, **SCALING | missing)

        assert not PainPoint.objects.exists()
        assert timeline(engagement) == []

    @pytest.mark.parametrize(
        "missing", [{"metric_name": ""}, {"capacity": None}, {"monthly_growth_pct": None}]
    )
    def test_the_database_refuses_a_scaling_pain_point_without_numbers(self, engagement, missing):
        with pytest.raises(IntegrityError), transaction.atomic():
            PainPoint.objects.create(engagement=engagement, **SCALING | missing)

    def test_other_categories_need_no_numbers(self, engagement, grace):
        pain_point = services.pain_point_log(
            engagement=engagement, by=grace, title="Nobody uses the app", category="adoption"
        )

        assert pain_point.projection() is None

    def test_a_pain_point_logged_as_resolved_is_resolved_today(self, engagement, grace):
        pain_point = services.pain_point_log(
            engagement=engagement,
            by=grace,
            title="Login loop",
            status=PainPoint.Status.RESOLVED,
            resolution="Cleared the stale cookie domain.",
        )

        pain_point.refresh_from_db()
        assert pain_point.resolved_on == timezone.localdate()
        assert not pain_point.is_open

    def test_stakeholders_of_another_client_are_refused(self, engagement, grace):
        ours = StakeholderFactory(client=engagement.client)
        theirs = StakeholderFactory(client=ClientFactory(name="Hooli"))

        with pytest.raises(ValidationError) as error:
            services.pain_point_log(
                engagement=engagement,
                by=grace,
                title="Slow search",
                affected_stakeholders=[ours, theirs],
            )

        assert "affected_stakeholders" in error.value.message_dict
        assert not PainPoint.objects.exists()
        assert timeline(engagement) == []

    def test_stakeholders_of_the_client_are_recorded(self, engagement, grace):
        ours = StakeholderFactory(client=engagement.client, name="Pat Ops")

        pain_point = services.pain_point_log(
            engagement=engagement, by=grace, title="Slow search", affected_stakeholders=[ours]
        )

        assert list(pain_point.affected_stakeholders.all()) == [ours]


class TestPainPointUpdate:
    @pytest.fixture
    def pain_point(self, engagement):
        return PainPointFactory(engagement=engagement, title="Exports take an hour")

    def test_resolving_dates_it_and_puts_the_resolution_on_the_timeline(self, pain_point, grace):
        services.pain_point_update(
            pain_point=pain_point,
            by=grace,
            status=PainPoint.Status.RESOLVED,
            resolution="Moved exports to a background job.",
        )

        pain_point.refresh_from_db()
        assert pain_point.resolved_on == timezone.localdate()
        [entry] = timeline(pain_point.engagement)
        assert entry.summary == "Pain point resolved: Exports take an hour"
        assert entry.body == "Moved exports to a background job."
        assert entry.actor == grace

    def test_reopening_clears_the_resolution_date(self, engagement, grace):
        pain_point = PainPointFactory(
            engagement=engagement, title="Login loop", resolved=True, resolved_on=date(2026, 2, 1)
        )

        services.pain_point_update(
            pain_point=pain_point, by=grace, status=PainPoint.Status.IN_PROGRESS
        )

        pain_point.refresh_from_db()
        assert pain_point.resolved_on is None
        assert pain_point.is_open
        assert summaries(engagement) == ["Pain point in progress: Login loop"]

    def test_resolving_again_keeps_the_first_date(self, engagement, grace):
        pain_point = PainPointFactory(engagement=engagement, resolved=True, resolved_on=START)

        services.pain_point_update(pain_point=pain_point, by=grace, description="More detail")

        pain_point.refresh_from_db()
        assert pain_point.resolved_on == START
        assert timeline(engagement) == []

    def test_an_edit_without_a_status_change_leaves_no_entry(self, pain_point, grace):
        services.pain_point_update(pain_point=pain_point, by=grace, severity="critical")

        pain_point.refresh_from_db()
        assert pain_point.severity == "critical"
        assert timeline(pain_point.engagement) == []

    def test_turning_it_into_a_scaling_one_needs_numbers(self, pain_point, grace):
        with pytest.raises(ValidationError):
            services.pain_point_update(
                pain_point=pain_point, by=grace, category=PainPoint.Category.SCALING
            )

        pain_point.refresh_from_db()
        assert pain_point.category == PainPoint.Category.PROCESS

    def test_stakeholders_of_another_client_are_refused_and_nothing_changes(
        self, pain_point, grace
    ):
        theirs = StakeholderFactory(client=ClientFactory(name="Hooli"))

        with pytest.raises(ValidationError):
            services.pain_point_update(
                pain_point=pain_point,
                by=grace,
                affected_stakeholders=[theirs],
                status=PainPoint.Status.ACKNOWLEDGED,
            )

        pain_point.refresh_from_db()
        assert pain_point.status == PainPoint.Status.OPEN
        assert not pain_point.affected_stakeholders.exists()
        assert timeline(pain_point.engagement) == []


# --- Recommendations -------------------------------------------------------------------


class TestRecommendationCreate:
    def test_it_links_a_pain_point_of_the_same_engagement(self, engagement, grace):
        pain_point = PainPointFactory(engagement=engagement)

        recommendation = services.recommendation_create(
            engagement=engagement, by=grace, title="Add a read replica", pain_point=pain_point
        )

        assert recommendation.created_by == grace
        assert list(pain_point.recommendations.all()) == [recommendation]

    def test_a_pain_point_of_another_engagement_is_refused(self, engagement, grace):
        elsewhere = PainPointFactory(engagement=EngagementFactory(client=engagement.client))

        with pytest.raises(ValidationError) as error:
            services.recommendation_create(
                engagement=engagement, by=grace, title="Add a replica", pain_point=elsewhere
            )

        assert "pain_point" in error.value.message_dict
        assert not Recommendation.objects.exists()


class TestRecommendationUpdate:
    def test_an_edit_from_a_copy_loaded_before_the_decision_keeps_the_decision(
        self, engagement, grace
    ):
        recommendation = RecommendationFactory(engagement=engagement, title="Add a read replica")
        loaded_for_editing = Recommendation.objects.get(pk=recommendation.pk)
        services.recommendation_decide(
            recommendation=recommendation,
            by=grace,
            status=Recommendation.Status.DEFERRED,
            decided_by_name="Dana Whitfield",
            decided_by_role="CFO",
            decided_on=date(2026, 3, 2),
            decision_reason="No budget until Q3.",
        )

        updated = services.recommendation_update(
            recommendation=loaded_for_editing, title="Add two read replicas", effort_days=6
        )

        assert updated.status == Recommendation.Status.DEFERRED
        recommendation.refresh_from_db()
        assert recommendation.title == "Add two read replicas"
        assert recommendation.effort_days == 6
        assert recommendation.status == Recommendation.Status.DEFERRED
        assert recommendation.decided_by == "Dana Whitfield (CFO)"
        assert recommendation.decided_on == date(2026, 3, 2)
        assert recommendation.decision_reason == "No budget until Q3."

    def test_a_pain_point_of_another_engagement_is_refused_and_nothing_changes(self, engagement):
        recommendation = RecommendationFactory(engagement=engagement, title="Add a read replica")
        elsewhere = PainPointFactory(engagement=EngagementFactory(client=engagement.client))

        with pytest.raises(ValidationError) as error:
            services.recommendation_update(
                recommendation=recommendation, title="Changed", pain_point=elsewhere
            )

        assert "pain_point" in error.value.message_dict
        recommendation.refresh_from_db()
        assert recommendation.title == "Add a read replica"
        assert recommendation.pain_point is None


class TestRecommendationDecide:
    @pytest.fixture
    def recommendation(self, engagement):
        return RecommendationFactory(engagement=engagement, title="Add a read replica")

    def decide(self, recommendation, by, **overrides):
        arguments = {
            "status": Recommendation.Status.ACCEPTED,
            "decided_by_name": "Dana Whitfield",
            "decided_by_role": "CFO",
            "decided_on": None,
            "decision_reason": "",
        }
        return services.recommendation_decide(
            recommendation=recommendation, by=by, **arguments | overrides
        )

    def test_an_acceptance_names_who_decided(self, recommendation, grace):
        decided = self.decide(recommendation, grace)

        assert decided.status == Recommendation.Status.ACCEPTED
        assert decided.decided_by == "Dana Whitfield (CFO)"
        assert decided.decided_on == timezone.localdate()
        [entry] = timeline(recommendation.engagement)
        assert entry.kind == Activity.Kind.RECOMMENDATION
        assert (
            entry.summary == "Recommendation accepted by Dana Whitfield (CFO): Add a read replica"
        )
        assert entry.actor == grace

    def test_a_deferral_names_who_deferred_and_why(self, recommendation, grace):
        self.decide(
            recommendation,
            grace,
            status=Recommendation.Status.DEFERRED,
            decided_on=date(2026, 3, 2),
            decision_reason="  No budget until Q3.  ",
        )

        recommendation.refresh_from_db()
        assert recommendation.status == Recommendation.Status.DEFERRED
        assert recommendation.decided_on == date(2026, 3, 2)
        assert recommendation.decision_reason == "No budget until Q3."
        [entry] = timeline(recommendation.engagement)
        assert (
            entry.summary == "Recommendation deferred by Dana Whitfield (CFO): Add a read replica"
        )
        assert entry.body == "No budget until Q3."

    @pytest.mark.parametrize(
        ("name", "role", "decided_by"),
        [("Dana Whitfield", "", "Dana Whitfield"), ("", "CFO", "CFO"), (" ", " ", "")],
    )
    def test_decided_by_reads_well_with_only_part_of_it(
        self, recommendation, grace, name, role, decided_by
    ):
        decided = self.decide(recommendation, grace, decided_by_name=name, decided_by_role=role)

        assert decided.decided_by == decided_by
        who = f" by {decided_by}" if decided_by else ""
        assert summaries(recommendation.engagement) == [
            f"Recommendation accepted{who}: Add a read replica"
        ]

    @pytest.mark.parametrize(
        ("status", "message"),
        [
            (Recommendation.Status.DEFERRED, "Say why it was deferred."),
            (Recommendation.Status.DECLINED, "Say why it was declined."),
        ],
    )
    def test_deferring_or_declining_without_a_reason_is_refused(
        self, recommendation, grace, status, message
    ):
        with pytest.raises(ValidationError) as error:
            self.decide(recommendation, grace, status=status, decision_reason="   ")

        assert error.value.message_dict == {"decision_reason": [message]}
        recommendation.refresh_from_db()
        assert recommendation.status == Recommendation.Status.PROPOSED
        assert recommendation.decided_by == ""
        assert recommendation.decided_on is None
        assert timeline(recommendation.engagement) == []

    def test_proposed_is_not_a_decision(self, recommendation, grace):
        with pytest.raises(ValidationError):
            self.decide(recommendation, grace, status=Recommendation.Status.PROPOSED)

        assert timeline(recommendation.engagement) == []

    def test_the_database_refuses_a_deferral_without_a_reason(self, recommendation):
        with pytest.raises(IntegrityError), transaction.atomic():
            Recommendation.objects.filter(pk=recommendation.pk).update(
                status=Recommendation.Status.DECLINED
            )


# --- Follow-ups ------------------------------------------------------------------------


class TestFollowUps:
    def test_a_stakeholder_of_another_client_is_refused(self, engagement, grace):
        theirs = StakeholderFactory(client=ClientFactory(name="Hooli"))

        with pytest.raises(ValidationError) as error:
            services.followup_create(
                engagement=engagement,
                by=grace,
                title="Send the recap",
                owner=grace,
                due_on=START,
                stakeholder=theirs,
            )

        assert "stakeholder" in error.value.message_dict
        assert not FollowUp.objects.exists()

    def test_completing_dates_it_and_is_on_the_timeline(self, engagement, grace):
        followup = FollowUpFactory(engagement=engagement, title="Send the recap")

        services.followup_complete(followup=followup, by=grace)

        followup.refresh_from_db()
        assert followup.status == FollowUp.Status.DONE
        assert followup.completed_at is not None
        [entry] = timeline(engagement)
        assert entry.kind == Activity.Kind.FOLLOWUP
        assert entry.summary == "Follow-up done: Send the recap"
        assert entry.actor == grace

    def test_completing_twice_changes_nothing_the_second_time(self, engagement, grace, alan):
        followup = FollowUpFactory(engagement=engagement)
        services.followup_complete(followup=followup, by=grace)
        followup.refresh_from_db()
        first_completed_at = followup.completed_at

        again = services.followup_complete(followup=followup, by=alan)

        assert again.status == FollowUp.Status.DONE
        followup.refresh_from_db()
        assert followup.completed_at == first_completed_at
        assert [entry.actor for entry in timeline(engagement)] == [grace]

    def test_a_cancelled_follow_up_cannot_be_completed(self, engagement, grace):
        followup = FollowUpFactory(engagement=engagement, status=FollowUp.Status.CANCELLED)

        with pytest.raises(ValidationError) as error:
            services.followup_complete(followup=followup, by=grace)

        assert error.value.messages == ["A cancelled follow-up cannot be marked done."]
        followup.refresh_from_db()
        assert followup.status == FollowUp.Status.CANCELLED
        assert followup.completed_at is None
        assert timeline(engagement) == []

    def test_cancelling_is_on_the_timeline_and_a_second_cancel_changes_nothing(
        self, engagement, grace, alan
    ):
        followup = FollowUpFactory(engagement=engagement, title="Send the recap")
        # Two people each opened the engagement before either cancelled it.
        seen_by_grace = FollowUp.objects.get(pk=followup.pk)
        seen_by_alan = FollowUp.objects.get(pk=followup.pk)

        services.followup_cancel(followup=seen_by_grace, by=grace)
        again = services.followup_cancel(followup=seen_by_alan, by=alan)

        assert again.status == FollowUp.Status.CANCELLED
        followup.refresh_from_db()
        assert followup.status == FollowUp.Status.CANCELLED
        [entry] = timeline(engagement)
        assert entry.summary == "Follow-up cancelled: Send the recap"
        assert entry.actor == grace

    def test_a_follow_up_done_since_it_was_loaded_is_not_cancelled(self, engagement, grace, alan):
        followup = FollowUpFactory(engagement=engagement, title="Send the recap")
        loaded_before_it_was_done = FollowUp.objects.get(pk=followup.pk)
        services.followup_complete(followup=followup, by=alan)

        with pytest.raises(ValidationError) as error:
            services.followup_cancel(followup=loaded_before_it_was_done, by=grace)

        assert error.value.messages == ["Only an open follow-up can be cancelled."]
        followup.refresh_from_db()
        assert followup.status == FollowUp.Status.DONE
        assert followup.completed_at is not None
        assert summaries(engagement) == ["Follow-up done: Send the recap"]

    def test_only_an_open_follow_up_can_be_cancelled(self, engagement, grace):
        open_one = FollowUpFactory(engagement=engagement)
        done = FollowUpFactory(engagement=engagement, done=True)

        services.followup_cancel(followup=open_one, by=grace)
        with pytest.raises(ValidationError):
            services.followup_cancel(followup=done, by=grace)

        open_one.refresh_from_db()
        done.refresh_from_db()
        assert open_one.status == FollowUp.Status.CANCELLED
        assert done.status == FollowUp.Status.DONE


# --- Escalations -----------------------------------------------------------------------


class TestEscalationRaise:
    @pytest.fixture
    def people(self, engagement):
        """Two highly affected stakeholders on the engagement and one barely affected."""

        def on_engagement(name, affected):
            return StakeholderFactory(
                client=engagement.client, name=name, affected=affected, engagements=[engagement]
            )

        return {
            "zoe": on_engagement("Zoe Ward", "high"),
            "ben": on_engagement("Ben Ortiz", "high"),
            "lia": on_engagement("Lia Park", "low"),
        }

    def raise_escalation(self, engagement, by, affected, **extra):
        return services.escalation_raise(
            engagement=engagement,
            by=by,
            affected_stakeholders=affected,
            title="Go-live at risk",
            severity="critical",
            **extra,
        )

    def test_leaving_out_highly_affected_people_asks_first_and_creates_nothing(
        self, engagement, grace, people
    ):
        outcome = self.raise_escalation(engagement, grace, [people["lia"]])

        assert isinstance(outcome, EscalationCheck)
        assert outcome.needs_confirmation
        assert outcome.left_out == [people["ben"], people["zoe"]]
        assert outcome.warning.startswith("This escalation leaves out Ben Ortiz, Zoe Ward,")
        assert not Escalation.objects.exists()
        assert timeline(engagement) == []

    def test_confirmed_it_is_raised_and_the_timeline_says_who_was_left_out(
        self, engagement, grace, people
    ):
        escalation = self.raise_escalation(engagement, grace, [people["zoe"]], confirmed=True)

        assert isinstance(escalation, Escalation)
        assert escalation.raised_by == grace
        assert list(escalation.affected_stakeholders.all()) == [people["zoe"]]
        [entry] = timeline(engagement)
        assert entry.kind == Activity.Kind.ESCALATION
        assert entry.summary == "Escalation raised (Critical): Go-live at risk"
        assert entry.body == "Raised without: Ben Ortiz"
        assert entry.actor == grace

    def test_with_everyone_highly_affected_on_it_there_is_no_warning(
        self, engagement, grace, people
    ):
        escalation = self.raise_escalation(engagement, grace, [people["zoe"], people["ben"]])

        assert isinstance(escalation, Escalation)
        [entry] = timeline(engagement)
        assert entry.body == ""

    def test_highly_affected_people_of_other_engagements_are_not_asked_for(self, engagement, grace):
        StakeholderFactory(
            client=engagement.client,
            affected="high",
            engagements=[EngagementFactory(client=engagement.client)],
        )

        assert isinstance(self.raise_escalation(engagement, grace, []), Escalation)

    def test_stakeholders_of_another_client_are_refused(self, engagement, grace, people):
        theirs = StakeholderFactory(client=ClientFactory(name="Hooli"), affected="high")

        with pytest.raises(ValidationError):
            self.raise_escalation(
                engagement, grace, [people["zoe"], people["ben"], theirs], confirmed=True
            )

        assert not Escalation.objects.exists()
        assert timeline(engagement) == []

    def test_a_status_change_is_on_the_timeline_and_a_repeat_is_not(self, engagement, grace):
        escalation = EscalationFactory(engagement=engagement, title="Go-live at risk")

        services.escalation_update(
            escalation=escalation, by=grace, status=Escalation.Status.MITIGATING
        )
        services.escalation_update(
            escalation=escalation, by=grace, status=Escalation.Status.MITIGATING
        )

        escalation.refresh_from_db()
        assert escalation.status == Escalation.Status.MITIGATING
        assert summaries(engagement) == ["Escalation mitigating: Go-live at risk"]

    def test_the_same_change_from_two_copies_is_on_the_timeline_once(self, engagement, grace, alan):
        escalation = EscalationFactory(engagement=engagement, title="Go-live at risk")
        # Two people each opened the engagement before either changed the status.
        seen_by_grace = Escalation.objects.get(pk=escalation.pk)
        seen_by_alan = Escalation.objects.get(pk=escalation.pk)

        services.escalation_update(
            escalation=seen_by_grace, by=grace, status=Escalation.Status.RESOLVED
        )
        again = services.escalation_update(
            escalation=seen_by_alan, by=alan, status=Escalation.Status.RESOLVED
        )

        assert again.status == Escalation.Status.RESOLVED
        escalation.refresh_from_db()
        assert escalation.status == Escalation.Status.RESOLVED
        [entry] = timeline(engagement)
        assert entry.summary == "Escalation resolved: Go-live at risk"
        assert entry.actor == grace

    def test_a_change_from_an_old_copy_names_the_status_it_moves_from(
        self, engagement, grace, alan
    ):
        escalation = EscalationFactory(engagement=engagement, title="Go-live at risk")
        loaded_while_open = Escalation.objects.get(pk=escalation.pk)
        services.escalation_update(
            escalation=escalation, by=grace, status=Escalation.Status.MITIGATING
        )

        # Back to "open" from a page loaded while it was open: a real change, recorded.
        services.escalation_update(
            escalation=loaded_while_open, by=alan, status=Escalation.Status.OPEN
        )

        escalation.refresh_from_db()
        assert escalation.status == Escalation.Status.OPEN
        assert summaries(engagement) == [
            "Escalation mitigating: Go-live at risk",
            "Escalation open: Go-live at risk",
        ]


# --- Selectors -------------------------------------------------------------------------


class TestEngagementsVisibleTo:
    @pytest.fixture
    def deals(self, tenant, sales, make_user):
        other_rep = make_user(Role.SALES)
        return {
            "mine": EngagementFactory(name="Sold by me", sold_by=sales),
            "theirs": EngagementFactory(name="Sold by a colleague", sold_by=other_rep),
            "direct": EngagementFactory(name="No deal", sold_by=None),
        }

    def test_sales_sees_only_what_it_sold(self, deals, sales):
        assert list(selectors.engagements_visible_to(sales)) == [deals["mine"]]

    @pytest.mark.parametrize("role", [Role.LEADER, Role.CONSULTANT, Role.ADMIN])
    def test_services_roles_see_everything(self, deals, make_user, role):
        assert set(selectors.engagements_visible_to(make_user(role))) == set(deals.values())

    def test_a_deactivated_user_sees_nothing(self, deals, make_user):
        assert not selectors.engagements_visible_to(make_user(Role.LEADER, is_active=False))

    def test_sales_gets_not_found_for_another_reps_engagement(self, deals, sales):
        assert selectors.engagement_get(user=sales, engagement_id=deals["mine"].pk)
        with pytest.raises(Http404):
            selectors.engagement_get(user=sales, engagement_id=deals["theirs"].pk)
        with pytest.raises(Http404):
            selectors.pain_point_get(
                user=sales, pain_point_id=PainPointFactory(engagement=deals["theirs"]).pk
            )

    def test_another_organizations_engagement_is_not_found(self, tenant, other_tenant, leader):
        connection.set_tenant(other_tenant)
        try:
            globex_only = EngagementFactory(pk=987_654_321, name="Globex secret", lead=None)
        finally:
            connection.set_tenant(tenant)

        assert not Engagement.objects.filter(pk=globex_only.pk).exists()
        with pytest.raises(Http404):
            selectors.engagement_get(user=leader, engagement_id=globex_only.pk)


class TestEngagementList:
    @pytest.fixture
    def today(self):
        return date(2026, 4, 15)

    def test_filters_by_kind_status_lead_and_client(self, tenant, leader, ada, grace):
        initech, hooli = ClientFactory(name="Initech"), ClientFactory(name="Hooli")
        project = EngagementFactory(client=initech, name="Rollout", lead=ada)
        success = EngagementFactory(
            client=initech, name="Care", kind=Engagement.Kind.SUCCESS, lead=grace
        )
        closed = EngagementFactory(
            client=hooli, name="Pilot", lead=ada, status=Engagement.Status.CLOSED
        )

        def names(**filters):
            return [e.name for e in selectors.engagement_list(user=leader, **filters)]

        assert names() == ["Pilot", "Care", "Rollout"]  # by client name, then name
        assert names(kind=Engagement.Kind.SUCCESS) == ["Care"]
        assert names(status=Engagement.Status.CLOSED) == ["Pilot"]
        assert names(lead_id=ada.pk) == ["Pilot", "Rollout"]
        assert names(client_id=initech.pk) == ["Care", "Rollout"]
        assert names(client_id=initech.pk, lead_id=grace.pk, kind="success") == ["Care"]
        assert names(kind=Engagement.Kind.SUCCESS, status=Engagement.Status.CLOSED) == []
        assert {project, success, closed} == set(selectors.engagement_list(user=leader))

    def test_sales_lists_only_its_own_deals(self, tenant, sales):
        EngagementFactory(name="Sold by me", sold_by=sales)
        EngagementFactory(name="Not mine")

        assert [e.name for e in selectors.engagement_list(user=sales)] == ["Sold by me"]

    def test_counts_open_pain_points_and_overdue_follow_ups(self, tenant, leader, today):
        busy = EngagementFactory(name="Busy")
        quiet = EngagementFactory(name="Quiet")
        for status in ("open", "acknowledged", "in_progress"):
            PainPointFactory(engagement=busy, status=status)
        PainPointFactory(engagement=busy, resolved=True)
        PainPointFactory(engagement=busy, status=PainPoint.Status.DEFERRED)
        PainPointFactory(engagement=quiet, resolved=True)

        yesterday = today - timedelta(days=1)
        FollowUpFactory(engagement=busy, due_on=yesterday)
        FollowUpFactory(engagement=busy, due_on=today - timedelta(days=30))
        FollowUpFactory(engagement=busy, due_on=today)  # due today is not overdue yet
        FollowUpFactory(engagement=busy, due_on=yesterday, done=True)
        FollowUpFactory(engagement=busy, due_on=yesterday, status=FollowUp.Status.CANCELLED)
        FollowUpFactory(engagement=quiet, due_on=today + timedelta(days=1))

        counts = {
            e.name: (e.open_pain_points, e.overdue_followups)
            for e in selectors.engagement_list(user=leader, today=today)
        }

        assert counts == {"Busy": (3, 2), "Quiet": (0, 0)}


class TestFollowupsMine:
    def test_only_my_open_follow_ups_overdue_first(self, tenant, ada, grace):
        engagement = EngagementFactory()
        today = timezone.localdate()
        later = FollowUpFactory(engagement=engagement, owner=ada, title="Later", due_on=today)
        overdue = FollowUpFactory(engagement=engagement, owner=ada, title="Late", overdue=True)
        FollowUpFactory(engagement=engagement, owner=ada, title="Done", overdue=True, done=True)
        FollowUpFactory(
            engagement=engagement,
            owner=ada,
            title="Cancelled",
            overdue=True,
            status=FollowUp.Status.CANCELLED,
        )
        FollowUpFactory(engagement=engagement, owner=grace, title="Grace's", overdue=True)

        mine = list(selectors.followups_mine(user=ada))

        assert mine == [overdue, later]
        assert mine[0].due_on < today <= mine[1].due_on  # overdue first


class TestClientList:
    @pytest.fixture
    def clients(self, tenant):
        initech = ClientFactory(name="Initech", industry="Software")
        hooli = ClientFactory(name="Hooli", industry="Search")
        ClientFactory(name="Soft Serve Ice", industry="Food")
        return {"initech": initech, "hooli": hooli}

    def names(self, query=""):
        return [client.name for client in selectors.client_list(query=query)]

    def test_search_matches_name_or_industry_in_any_case(self, clients):
        assert self.names() == ["Hooli", "Initech", "Soft Serve Ice"]
        assert self.names("SOFT") == ["Initech", "Soft Serve Ice"]
        assert self.names("hoo") == ["Hooli"]
        assert self.names("nobody") == []

    def test_counts_open_engagements_and_their_open_pain_points(self, clients):
        initech = clients["initech"]
        running = EngagementFactory(client=initech, status=Engagement.Status.ACTIVE)
        EngagementFactory(client=initech, status=Engagement.Status.ON_HOLD)
        EngagementFactory(client=initech, status=Engagement.Status.CLOSED)
        PainPointFactory(engagement=running)
        PainPointFactory(engagement=running, status=PainPoint.Status.IN_PROGRESS)
        PainPointFactory(engagement=running, resolved=True)
        PainPointFactory(engagement=EngagementFactory(client=clients["hooli"]), resolved=True)

        counts = {
            client.name: (client.open_engagements, client.open_pain_points)
            for client in selectors.client_list()
        }

        assert counts == {"Hooli": (1, 0), "Initech": (2, 2), "Soft Serve Ice": (0, 0)}


class TestTimeline:
    def test_newest_first_and_at_most_fifty(self, engagement):
        start = timezone.now() - timedelta(days=100)
        for day in range(55):
            ActivityFactory(
                engagement=engagement, summary=f"Day {day}", occurred_at=start + timedelta(days=day)
            )

        entries = selectors.engagement_timeline(engagement=engagement)

        assert len(entries) == 50
        assert entries[0].summary == "Day 54"
        assert entries[-1].summary == "Day 5"
