"""What the database records of each write: every path, who made it, and what it never keeps."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from engagements.models import Engagement, FollowUp
from health.checkins import one_on_ones
from health.models import CheckIn, OneOnOne, Risk
from psops.accounts import services as account_services
from psops.accounts.models import Role
from psops.audit.context import audit_context
from psops.audit.models import AuditEntry
from psops.audit.triggers import UNAUDITED, audited_models, tenant_models
from tests.conftest import TenantClient, host_of
from tests.engagements.factories import EngagementFactory, FollowUpFactory
from tests.factories import UserFactory
from tests.health.factories import make_risk

pytestmark = pytest.mark.django_db


def entries(table: str, object_id=None):
    found = AuditEntry.objects.filter(table_name=table).order_by("id")
    if object_id is not None:
        found = found.filter(object_id=str(object_id))
    return list(found)


def audit_text() -> str:
    """Everything the audit table holds, as one string to search."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(string_agg(e::text, ' '), '') FROM audit_entry e")
        return cursor.fetchone()[0]


def triggers_in(schema: str) -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, t.tgname FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = %s AND t.tgname LIKE 'audit%%'
            """,
            [schema],
        )
        found: dict[str, set[str]] = {}
        for table, trigger in cursor.fetchall():
            found.setdefault(table, set()).add(trigger)
        return found


class TestCoverage:
    def test_every_table_of_the_tenant_apps_is_audited_or_says_why_not(self, tenant):
        """A new model is audited from the migrate that creates its table."""
        installed = triggers_in(tenant.schema_name)
        everything = {"audit_insert", "audit_update", "audit_delete", "audit_truncate"}
        for table in audited_models():
            assert installed.get(table) == everything, table
        assert not (installed.keys() - {"audit_entry"}) & UNAUDITED.keys()
        assert UNAUDITED.keys() <= tenant_models().keys()  # no reason kept for a gone table
        assert {"accounts_user", "handoffs_apitoken", "health_kpitarget"} <= installed.keys()
        assert "accounts_organizationsettings" in installed

    def test_a_cloned_tenant_records_into_its_own_schema(self, tenant, other_tenant):
        engagement = EngagementFactory(name="Only in acme")
        connection.set_tenant(other_tenant)
        assert not AuditEntry.objects.filter(object_label="Only in acme").exists()
        connection.set_tenant(tenant)
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT count(*) FROM "{tenant.schema_name}".audit_entry'
                " WHERE table_name = 'engagements_engagement' AND object_id = %s",
                [str(engagement.pk)],
            )
            assert cursor.fetchone()[0] == 1
            cursor.execute(
                f'SELECT count(*) FROM "{other_tenant.schema_name}".audit_entry'
                " WHERE object_label = 'Only in acme'"
            )
            assert cursor.fetchone()[0] == 0

    def test_a_write_named_by_schema_from_another_tenant_lands_in_the_tables_own(
        self, tenant, other_tenant
    ):
        connection.set_tenant(other_tenant)
        engagement = EngagementFactory(name="Globex original")
        connection.set_tenant(tenant)
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{other_tenant.schema_name}".engagements_engagement'
                " SET name = 'Globex renamed' WHERE id = %s",
                [engagement.pk],
            )
        assert not AuditEntry.objects.filter(object_label="Globex renamed").exists()
        connection.set_tenant(other_tenant)
        [renamed] = AuditEntry.objects.filter(object_label="Globex renamed")
        assert renamed.changes["name"] == ["Globex original", "Globex renamed"]


class TestEveryWritePath:
    def test_create_change_and_delete_with_before_and_after(self, tenant):
        followup = FollowUpFactory(title="Call Dana")
        followup.title = "Call Dana back"
        followup.save()
        followup_id = followup.pk
        followup.delete()

        created, changed, deleted = entries("engagements_followup", followup_id)
        assert created.action == "insert" and created.changes["title"] == [None, "Call Dana"]
        assert changed.action == "update"
        assert changed.changes == {"title": ["Call Dana", "Call Dana back"]}
        assert deleted.action == "delete" and deleted.changes["title"] == ["Call Dana back", None]
        # The follow-up's entries belong to its engagement's history too.
        assert changed.parent == f"engagements_engagement:{followup.engagement_id}"
        assert changed.object_label == "Call Dana back"

    def test_bulk_writes_queryset_updates_and_raw_sql_are_recorded_row_by_row(self, tenant):
        engagement = EngagementFactory()
        made = FollowUp.objects.bulk_create(
            [
                FollowUpFactory.build(
                    engagement=engagement, owner=engagement.lead, created_by=engagement.lead
                )
                for _ in range(3)
            ]
        )
        new_due = timezone.localdate() + timezone.timedelta(days=30)
        FollowUp.objects.filter(engagement=engagement).update(due_on=new_due)
        for followup in made:
            followup.title = f"Renamed {followup.pk}"
        FollowUp.objects.bulk_update(made, ["title"])
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE engagements_engagement SET status = 'closed' WHERE id = %s",
                [engagement.pk],
            )

        for followup in made:
            actions = [e.action for e in entries("engagements_followup", followup.pk)]
            assert actions == ["insert", "update", "update"]
            assert entries("engagements_followup", followup.pk)[1].changes["due_on"][1] == str(
                new_due
            )
        closed = entries("engagements_engagement", engagement.pk)[-1]
        assert closed.changes == {"status": ["active", "closed"]}

    def test_a_write_that_changes_nothing_or_only_bookkeeping_is_no_entry(self, tenant):
        engagement = EngagementFactory()
        risk = make_risk(engagement=engagement)
        before = AuditEntry.objects.count()
        Engagement.objects.filter(pk=engagement.pk).update(name=engagement.name)
        Risk.objects.filter(pk=risk.pk).update(last_seen=timezone.now())
        assert AuditEntry.objects.count() == before

    def test_an_atomic_write_rolled_back_leaves_no_entry(self, tenant):
        engagement = EngagementFactory()
        with pytest.raises(RuntimeError), transaction.atomic():
            Engagement.objects.filter(pk=engagement.pk).update(name="Never happened")
            raise RuntimeError
        assert "Never happened" not in audit_text()

    def test_entries_cannot_be_forged_changed_or_deleted(self, tenant):
        EngagementFactory()
        entry = AuditEntry.objects.latest("id")
        for statement in (  # a forged entry, an edit, a delete, emptying the table
            "INSERT INTO audit_entry (at, action, table_name, object_id, object_label, parent,"
            " changes, hidden, actor_kind, actor_label, user_agent, origin, transaction_id)"
            " VALUES (now(), 'update', 'accounts_user', '1', '', '', '{}', '{}', 'user',"
            " 'forged', '', '', 1)",
            "UPDATE audit_entry SET actor_label = 'someone else'",
            "DELETE FROM audit_entry",
            "TRUNCATE audit_entry",
        ):
            with (
                pytest.raises(DatabaseError, match="cannot be changed or deleted"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
        entry.refresh_from_db()
        assert entry.actor_label != "someone else"


class TestWho:
    def test_a_request_records_the_person_their_address_and_the_request(self, client_for, leader):
        engagement = EngagementFactory(lead=leader)
        browser = client_for(leader)
        browser.post(
            f"/engagements/{engagement.pk}/edit/",
            {
                "client": engagement.client_id,
                "name": "Renamed by the lead",
                "kind": engagement.kind,
                "status": engagement.status,
                "start_date": engagement.start_date,
                "target_end_date": engagement.target_end_date,
                "lead": leader.pk,
                "budget_hours": engagement.budget_hours,
            },
            HTTP_USER_AGENT="Test Browser 1.0",
            REMOTE_ADDR="203.0.113.7",
        )
        [renamed] = [
            e
            for e in entries("engagements_engagement", engagement.pk)
            if "name" in e.changes and e.action == "update"
        ]
        assert renamed.changes["name"] == [engagement.name, "Renamed by the lead"]
        assert (renamed.actor_kind, renamed.actor_id) == ("user", leader.pk)
        assert renamed.actor_label == leader.email
        assert renamed.ip == "203.0.113.7"
        assert renamed.user_agent == "Test Browser 1.0"
        assert renamed.origin == f"POST /engagements/{engagement.pk}/edit/"

    def test_a_job_is_recorded_by_name_and_a_command_by_its_own(self, tenant):
        with audit_context({"kind": "job", "label": "task health.tasks_risks.run_risk_scans"}):
            risk = make_risk()
        assert entries("health_risk", risk.pk)[0].actor_label == (
            "task health.tasks_risks.run_risk_scans"
        )
        outside = EngagementFactory()
        entry = entries("engagements_engagement", outside.pk)[0]
        assert entry.actor_kind == "job" and entry.actor_label.startswith("process ")

    def test_a_write_outside_the_application_is_the_database_roles(self, tenant):
        engagement = EngagementFactory()
        with connection.cursor() as cursor:
            # As psql would write: no context in the transaction (this test's transaction
            # has one from the factory's writes), and a raw cursor past Django's wrappers.
            cursor.cursor.execute("SELECT set_config('psops.audit_context', '', true)")
            cursor.cursor.execute(
                "UPDATE engagements_engagement SET name = 'by psql' WHERE id = %s",
                [engagement.pk],
            )
        entry = entries("engagements_engagement", engagement.pk)[-1]
        assert entry.actor_kind == "unattributed"
        assert entry.actor_label.startswith("database role ")

    def test_an_api_token_write_names_the_token(self, tenant, make_user, admin_user):
        from handoffs import services as handoff_services
        from tests.handoffs.api.crm import deal, post

        rep = make_user(Role.SALES)
        token, raw = handoff_services.api_token_create(name="CRM", by=admin_user, acts_as=rep)
        api = TenantClient(host=host_of(tenant), HTTP_AUTHORIZATION=f"Bearer {raw}")
        status, _ = post(api, deal(deal_name="Deal from the CRM"))
        assert status == 201
        [created] = [
            e for e in entries("handoffs_handoffpacket") if e.object_label == "Deal from the CRM"
        ]
        assert (created.actor_kind, created.token_id, created.actor_id) == (
            "token",
            token.pk,
            rep.pk,
        )
        assert "CRM" in created.actor_label and rep.email in created.actor_label


class TestNeverRecorded:
    def test_a_password_change_is_recorded_without_the_hash(self, tenant, make_user):
        person = make_user(Role.CONSULTANT)
        account_services.user_password_set(user=person, password="a new long passphrase 42")
        person.refresh_from_db()
        changed = entries("accounts_user", person.pk)[-1]
        assert changed.hidden == ["password"] and changed.changes == {}
        text = audit_text()
        assert person.password not in text
        assert person.password.split("$")[-1] not in text

    def test_api_token_and_invitation_hashes_are_not_recorded(self, tenant, make_user, admin_user):
        from handoffs import services as handoff_services
        from handoffs.models import ApiToken

        token, raw = handoff_services.api_token_create(
            name="CRM", by=admin_user, acts_as=make_user(Role.SALES)
        )
        stored = ApiToken.objects.get(pk=token.pk).token_hash
        assert "token_hash" in entries("handoffs_apitoken", token.pk)[0].hidden
        assert stored not in audit_text() and raw not in audit_text()

    def test_a_private_note_is_recorded_as_written_by_whom_on_which_one_on_one_never_its_text(
        self, tenant, make_user
    ):
        manager = make_user(Role.CONSULTANT)
        report = make_user(Role.CONSULTANT, manager=manager)
        meeting = OneOnOne.objects.create(
            manager=manager,
            report=report,
            held_on=timezone.localdate(),
            shared_notes="SHARED-NOTES-a81f",
        )
        secret = "PRIVATE-NOTE-77c3 thinking of leaving"
        one_on_ones.private_note_save(one_on_one=meeting, author=manager, body=secret)
        one_on_ones.private_note_save(one_on_one=meeting, author=manager, body=secret + " again")

        written, edited = entries("health_oneononeprivatenote")
        assert written.changes["author_id"] == [None, manager.pk]
        assert written.changes["one_on_one_id"] == [None, meeting.pk]
        assert written.hidden == ["body"] and edited.hidden == ["body"]
        text = audit_text()
        assert "PRIVATE-NOTE-77c3" not in text and "SHARED-NOTES-a81f" not in text

    def test_check_in_answers_are_not_recorded(self, tenant, make_user):
        person = make_user(Role.CONSULTANT)
        week = timezone.localdate().isocalendar()
        checkin = CheckIn.objects.create(
            user=person,
            iso_year=week.year,
            iso_week=week.week,
            energy=2,
            workload=5,
            boundaries=1,
            connection=2,
            blockers="BLOCKER-55de my manager",
            wins="WIN-90ab",
        )
        [entry] = entries("health_checkin", checkin.pk)
        assert {"blockers", "wins", "energy", "workload"} <= set(entry.hidden)
        assert not {"blockers", "wins", "energy", "workload"} & entry.changes.keys()
        assert "BLOCKER-55de" not in audit_text() and "WIN-90ab" not in audit_text()

    def test_a_risk_private_to_one_person_is_recorded_without_any_of_its_content(self, tenant):
        manager = UserFactory()
        private = make_risk(
            title="OVERLOAD-4411 Ana is drowning", evidence="EVIDENCE-4411", private_to=manager
        )
        Risk.objects.filter(pk=private.pk).update(title="OVERLOAD-4411 worse")
        created, changed = entries("health_risk", private.pk)
        assert created.changes == {} and created.object_label == ""
        assert {"title", "evidence", "private_to_id"} <= set(created.hidden)
        assert changed.hidden == ["title"]
        assert "OVERLOAD-4411" not in audit_text() and "EVIDENCE-4411" not in audit_text()

    def test_pulse_answers_and_their_holding_area_leave_no_trace(
        self, tenant, client_for, django_capture_on_commit_callbacks
    ):
        """Five people answer through the page and the week is published: the audit table
        gained nothing that says who answered (no entry of a participation, a held or a
        published answer, none carrying the requests' people or addresses)."""
        from tests.health.factories import member_since_always

        week = timezone.localdate().isocalendar()
        before = AuditEntry.objects.count()
        people = [member_since_always(UserFactory(team="Architects")) for _ in range(5)]
        assert AuditEntry.objects.count() > before  # the people and their teams are audited
        last_before = AuditEntry.objects.latest("id").id
        with django_capture_on_commit_callbacks(execute=True):
            for number, person in enumerate(people):
                response = client_for(person).post(
                    "/pulse/",
                    {
                        "week": f"{week.year}-W{week.week:02d}",
                        "energy": "3",
                        "workload": "4",
                        "safety": "2",
                        "comment": f"PULSE-COMMENT-{number}-c0de",
                    },
                )
                assert response.status_code in (200, 302)
        from health.models import PulseParticipation

        assert PulseParticipation.objects.count() == 5  # the answers were taken
        # What answering wrote besides (the team memberships it brings up to date)
        # names nobody who answered: no person, address or request.
        upkeep = AuditEntry.objects.filter(id__gt=last_before)
        assert set(upkeep.values_list("table_name", flat=True)) <= {"health_teammembership"}
        assert set(upkeep.values_list("actor_label", flat=True)) <= {"pulse upkeep"}
        assert not upkeep.filter(actor_id__isnull=False).exists()
        assert not upkeep.filter(ip__isnull=False).exists()
        assert not upkeep.exclude(user_agent="").exists()
        assert "PULSE-COMMENT" not in audit_text()
        assert not AuditEntry.objects.filter(origin__contains="/pulse").exists()
        assert not AuditEntry.objects.filter(table_name__startswith="health_pulse").exists()
        assert not AuditEntry.objects.filter(table_name="health_heldpulseanswer").exists()


def test_organization_settings_and_kpi_targets_are_audited(tenant, admin_user):
    from health.models import KpiTarget
    from psops.accounts.models import OrganizationSettings

    settings_row = OrganizationSettings.current()
    settings_row.review_sla_business_days = 4
    settings_row.save()
    target = KpiTarget.objects.create(key="followups_on_time", target=90, updated_by=admin_user)
    assert entries("accounts_organizationsettings")[-1].changes["review_sla_business_days"][1] == 4
    assert entries("health_kpitarget", target.pk)[0].changes["key"] == [None, "followups_on_time"]
