"""/settings/audit/: who may read which entries, the filters, pages, CSV and notices."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psops.accounts.models import Notification, Role, User
from psops.audit.models import AuditEntry
from psops.outbox.models import OutboundEmail
from tests.engagements.factories import EngagementFactory, FollowUpFactory

pytestmark = pytest.mark.django_db

URL = "/settings/audit/"
EXPORT = "/settings/audit/export.csv"
ENTRY = re.compile(r'<li class="audit-entry" id="entry-(\d+)">')


def shown(response) -> list[int]:
    return [int(pk) for pk in ENTRY.findall(response.content.decode())]


def role_change(admin_client, person: User, role: str):
    return admin_client.post(
        f"/settings/users/{person.pk}/",
        {"full_name": person.full_name, "role": role, "manager": "", "time_zone": person.time_zone},
    )


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


class TestWhoReadsWhat:
    def test_an_admin_finds_a_role_change_with_before_after_and_who(
        self, admin_client, admin_user, make_user
    ):
        person = make_user(Role.CONSULTANT, full_name="Carla Consultant")
        role_change(admin_client, person, Role.LEADER)

        page = admin_client.get(URL, {"type": "accounts_user", "object": person.pk})
        text = page.content.decode()
        assert page.status_code == 200
        assert "History of user #" in text
        entry = AuditEntry.objects.filter(
            table_name="accounts_user", object_id=str(person.pk), action="update"
        ).latest("id")
        assert entry.pk in shown(page)
        assert entry.changes["role"] == ["consultant", "leader"]
        block = text[text.index(f'id="entry-{entry.pk}"') :]
        block = block[
            : block.index("</li>\n    \n    <li") if "</li>\n    \n    <li" in block else 3000
        ]
        assert admin_user.full_name in block or admin_user.email in block
        assert "Consultant" in block and "PS leader" in block

    def test_a_leader_reads_business_objects_but_not_people_administration(
        self, client_for, leader, admin_client, make_user
    ):
        person = make_user(Role.CONSULTANT)
        role_change(admin_client, person, Role.SALES)
        engagement = EngagementFactory(name="Visible to leaders")
        browser = client_for(leader)

        page = browser.get(URL)
        ids = set(shown(page))
        created = AuditEntry.objects.get(
            table_name="engagements_engagement", object_id=str(engagement.pk)
        )
        assert created.pk in ids
        people_ids = set(
            AuditEntry.objects.filter(table_name="accounts_user").values_list("id", flat=True)
        )
        assert people_ids and not ids & people_ids
        asked = browser.get(URL, {"type": "accounts_user", "object": person.pk})
        assert asked.status_code == 400 and not shown(asked)
        exported = browser.get(EXPORT).getvalue().decode()
        assert "Visible to leaders" in exported and person.email not in exported

    @pytest.mark.parametrize("role", [Role.CONSULTANT, Role.SALES])
    def test_other_roles_get_403_and_signed_out_visitors_sign_in(
        self, client_for, make_user, anonymous_client, role
    ):
        browser = client_for(make_user(role))
        assert browser.get(URL).status_code == 403
        assert browser.get(EXPORT).status_code == 403
        assert anonymous_client.get(URL).status_code == 302

    def test_another_organizations_admin_sees_none_of_these_entries(
        self, tenant, other_tenant, client_for
    ):
        EngagementFactory(name="Acme secret engagement")
        connection.set_tenant(other_tenant)
        globex_owner = User.objects.get(email="owner@globex.test")
        connection.set_tenant(tenant)
        globex = client_for(globex_owner, organization=other_tenant)
        page = globex.get(URL)
        assert page.status_code == 200
        assert "Acme secret engagement" not in page.content.decode()
        assert "Acme secret engagement" not in globex.get(EXPORT).getvalue().decode()
        # An acme entry's id asked for on globex's host is no entry of globex's.
        acme_entry = AuditEntry.objects.latest("id")
        connection.set_tenant(other_tenant)
        assert not AuditEntry.objects.filter(
            pk=acme_entry.pk, object_label="Acme secret engagement"
        ).exists()
        connection.set_tenant(tenant)


class TestFilters:
    def test_an_engagements_history_includes_its_follow_ups_and_nothing_else(self, admin_client):
        engagement = EngagementFactory()
        followup = FollowUpFactory(engagement=engagement, title="Belongs to it")
        other = FollowUpFactory(title="Belongs elsewhere")
        page = admin_client.get(URL, {"type": "engagements_engagement", "object": engagement.pk})
        text = page.content.decode()
        assert "Belongs to it" in text and "Belongs elsewhere" not in text
        assert followup.pk and other.pk

    def test_by_person_and_by_dates(self, client_for, leader, make_user, admin_client):
        someone = make_user(Role.LEADER)
        EngagementFactory(lead=someone)
        role_change(admin_client, make_user(Role.CONSULTANT), Role.SALES)
        admin = AuditEntry.objects.filter(actor_kind="user").latest("id")
        by_admin = admin_client.get(URL, {"person": admin.actor_id})
        assert shown(by_admin) and all(
            AuditEntry.objects.get(pk=pk).actor_id == admin.actor_id for pk in shown(by_admin)
        )
        today = timezone.localdate()
        assert shown(admin_client.get(URL, {"since": today, "until": today}))
        tomorrow = today + timezone.timedelta(days=1)
        empty = admin_client.get(URL, {"since": tomorrow})
        assert not shown(empty) and "No change matches these filters" in empty.content.decode()

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"object": "12"}, "Choose the object type the id belongs to."),
            (
                {"type": "engagements_engagement", "object": "twelve"},
                "An object id is a whole number",
            ),
            (
                {"since": "2026-05-02", "until": "2026-05-01"},
                "The end date is before the start date.",
            ),
            ({"type": "health_pulseresponse"}, "Select a valid choice."),
            ({"since": "yesterday"}, "Enter a valid date."),
        ],
    )
    def test_bad_filters_are_explained_and_show_nothing(self, admin_client, query, message):
        EngagementFactory()
        page = admin_client.get(URL, query)
        assert page.status_code == 400
        assert message in page.content.decode() and not shown(page)


class TestPagesAndSpeed:
    def test_fifty_a_page_and_older_pages_by_id(self, admin_client):
        engagement = EngagementFactory()
        for number in range(60):
            engagement.name = f"Name {number}"
            engagement.save(update_fields=["name"])
        first = admin_client.get(URL, {"type": "engagements_engagement"})
        assert len(shown(first)) == 50
        older = re.search(
            r'href="\?type=engagements_engagement&amp;before=(\d+)"', first.content.decode()
        )
        assert older
        second = admin_client.get(URL, {"type": "engagements_engagement", "before": older.group(1)})
        both = shown(first) + shown(second)
        expected = list(
            AuditEntry.objects.filter(table_name="engagements_engagement")
            .order_by("-id")
            .values_list("id", flat=True)
        )
        assert both == expected
        assert "Newest" in second.content.decode()

    def test_the_number_of_queries_does_not_grow_with_the_entries(self, admin_client, make_user):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert admin_client.get(URL).status_code == 200
            return len(captured)

        EngagementFactory()
        few = queries()
        for _ in range(20):
            FollowUpFactory(owner=make_user(Role.CONSULTANT))
        assert queries() == few

    def test_an_htmx_page_is_only_the_results(self, admin_client):
        EngagementFactory()
        partial = admin_client.get(URL, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit-results")
        text = partial.content.decode()
        assert text.lstrip().startswith('<section id="audit-results"') and "<h1>" not in text


class TestExport:
    def test_csv_cells_are_formula_safe_and_hold_before_and_after(self, admin_client):
        engagement = EngagementFactory(name='=HYPERLINK("http://evil.test")')
        engagement.name = "+1+1"
        engagement.save(update_fields=["name"])
        response = admin_client.get(EXPORT, {"type": "engagements_engagement"})
        assert response["Content-Disposition"].startswith('attachment; filename="acme-audit-trail-')
        rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
        header, newest = rows[0], rows[1]
        assert header[0] == "Entry" and newest[5] == "changed"
        assert newest[8] == "'+1+1"
        assert '"=HYPERLINK' in newest[9] and "+1+1" in newest[9]
        assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


class TestNotices:
    def test_a_person_is_told_in_app_and_by_email_when_someone_else_changes_their_role(
        self, admin_client, make_user, django_capture_on_commit_callbacks
    ):
        person = make_user(Role.CONSULTANT)
        with django_capture_on_commit_callbacks(execute=True):
            role_change(admin_client, person, Role.LEADER)
        [notice] = Notification.objects.filter(recipient=person)
        assert "changed your account" in notice.title and "PS leader" in notice.body
        assert OutboundEmail.objects.filter(to__contains=[person.email]).exists()

    def test_a_deactivation_is_told_too_but_not_ones_own_password_change(
        self, admin_client, make_user, client_for
    ):
        person = make_user(Role.CONSULTANT)
        admin_client.post(f"/settings/users/{person.pk}/active/", {"active": "0"})
        person.refresh_from_db()
        assert not person.is_active
        assert "deactivated" in Notification.objects.get(recipient=person).body
        other = make_user(Role.CONSULTANT)
        from psops.accounts import services

        services.user_password_set(user=other, password="another long passphrase 7", by=other)
        assert not Notification.objects.filter(recipient=other).exists()
