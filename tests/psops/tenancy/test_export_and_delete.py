"""An organization is deleted only by an operator, from the command line, after an export.

``export_org`` writes every table of the organization's schema; ``delete_org`` refuses
unless it is given a current export of that very organization.
"""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from psops.accounts.models import Role, User
from psops.tenancy.exports import EXPORT_FORMAT, organization_tables
from psops.tenancy.models import Domain, Organization
from psops.tenancy.services import organization_create
from tests.conftest import TenantClient

pytestmark = pytest.mark.django_db


def export(slug, path) -> str:
    out = StringIO()
    call_command("export_org", slug, str(path), stdout=out)
    return out.getvalue()


def delete(slug, path) -> str:
    out = StringIO()
    call_command("delete_org", slug, "--export-file", str(path), "--no-input", stdout=out)
    return out.getvalue()


@pytest.fixture
def doomed(db):
    """An organization of its own (creating one costs about a second; DDL rolls back)."""
    connection.set_schema_to_public()
    organization = organization_create(
        name="Doomed Inc", slug="doomed", admin_email="boss@doomed.test"
    ).organization
    with schema_context("doomed"):
        User.objects.create_user(email="ann@doomed.test", full_name="Ann", role=Role.LEADER)
    connection.set_schema_to_public()
    return organization


class TestExport:
    def test_every_table_of_the_schema_is_in_it_with_its_rows(self, doomed, tmp_path):
        path = tmp_path / "doomed.json"

        output = export("doomed", path)

        data = json.loads(path.read_text())
        assert data["format"] == EXPORT_FORMAT
        assert data["organization"] == {
            "slug": "doomed",
            "name": "Doomed Inc",
            "schema_name": "doomed",
            "domains": ["doomed.localhost"],
        }
        tables = {model._meta.label_lower for model in organization_tables()}
        assert set(data["tables"]) == tables
        assert {"accounts.user", "engagements.engagement", "handoffs.handoffevent"} <= tables
        assert {"engagements.activity", "handoffs.handoffreview", "health.oneonone"} <= tables
        assert "sessions.session" not in tables  # live credentials, not records
        emails = {o["fields"]["email"] for o in data["objects"] if o["model"] == "accounts.user"}
        assert emails == {"boss@doomed.test", "ann@doomed.test"}
        assert data["tables"]["accounts.user"] == 2
        assert len(data["objects"]) == sum(data["tables"].values())
        assert "Exported Doomed Inc" in output

    def test_it_holds_only_this_organizations_rows(self, doomed, tmp_path):
        path = tmp_path / "doomed.json"
        export("doomed", path)

        assert "@acme.test" not in path.read_text()

    def test_an_unknown_slug_is_an_error(self, db, tmp_path):
        with pytest.raises(CommandError, match="No organization"):
            export("nobody", tmp_path / "x.json")


class TestDelete:
    def test_with_a_current_export_the_schema_domain_and_row_are_gone(self, doomed, tmp_path):
        path = tmp_path / "doomed.json"
        export("doomed", path)

        output = delete("doomed", path)

        assert "Deleted doomed" in output
        assert not schema_exists("doomed")
        assert not Organization.objects.filter(slug="doomed").exists()
        assert not Domain.objects.filter(domain="doomed.localhost").exists()
        assert schema_exists("acme")
        assert path.exists()

    def test_without_an_export_file_nothing_is_deleted(self, doomed, tmp_path):
        with pytest.raises(CommandError, match="There is no export file"):
            delete("doomed", tmp_path / "missing.json")

        assert schema_exists("doomed")
        assert Organization.objects.filter(slug="doomed").exists()

    def test_the_export_option_is_required(self, doomed):
        with pytest.raises(CommandError, match="--export-file"):
            call_command("delete_org", "doomed", "--no-input")

        assert schema_exists("doomed")

    def test_another_organizations_export_is_refused(self, doomed, tmp_path):
        path = tmp_path / "globex.json"
        export("globex", path)

        with pytest.raises(CommandError, match="an export of 'globex', not of 'doomed'"):
            delete("doomed", path)

        assert schema_exists("doomed")
        assert schema_exists("globex")

    def test_an_export_older_than_the_data_is_refused(self, doomed, tmp_path):
        path = tmp_path / "doomed.json"
        export("doomed", path)
        with schema_context("doomed"):
            User.objects.create_user(email="late@doomed.test")

        with pytest.raises(CommandError, match=r"no longer matches doomed's data \(.*user"):
            delete("doomed", path)

        assert schema_exists("doomed")

    def test_a_file_that_is_not_an_export_is_refused(self, doomed, tmp_path):
        path = tmp_path / "doomed.json"
        path.write_text('{"organization": {"slug": "doomed", "schema_name": "doomed"}}')

        with pytest.raises(CommandError, match="not a PS Ops organization export"):
            delete("doomed", path)

        assert schema_exists("doomed")

    def test_a_sign_in_session_does_not_make_the_export_stale(self, doomed, tmp_path):
        path = tmp_path / "doomed.json"
        export("doomed", path)
        with schema_context("doomed"):
            Session.objects.create(
                session_key="k" * 32,
                session_data="",
                expire_date=timezone.now() + timedelta(days=1),
            )

        delete("doomed", path)

        assert not schema_exists("doomed")

    def test_the_public_schema_cannot_be_deleted(self, db, tmp_path):
        with pytest.raises(CommandError):
            delete("public", tmp_path / "public.json")

        assert Organization.objects.filter(schema_name="public").exists()


# --- Nothing else deletes business history ----------------------------------------------


def _tenant_route_names() -> list[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    names = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                names.append(f"{namespace}:{pattern.name}" + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    return names


# Plans, not history: a planned allocation, time off or demand line that will not
# happen is removed, and the audit trail keeps what it was, who removed it and when.
REMOVABLE_PLANS = {
    "capacity:time_off_delete",
    "capacity:allocation_delete",
    "capacity:packet_demand_delete",
}


def test_no_page_of_an_organizations_host_deletes_business_history():
    routes = _tenant_route_names()

    assert len(routes) > 40
    deleting = [route for route in routes if "delete" in route.lower()]
    assert [r for r in deleting if not r.startswith(tuple(REMOVABLE_PLANS))] == []


def test_the_api_deletes_no_packet(tenant, admin_user, sales):
    from handoffs.models import HandoffEvent, HandoffPacket
    from handoffs.services import api_token_create
    from tests.handoffs.factories import HandoffPacketFactory

    packet = HandoffPacketFactory(submitted=True)
    events = HandoffEvent.objects.filter(packet=packet).count()
    _, raw_token = api_token_create(name="CRM", by=admin_user, acts_as=sales)
    client = TenantClient(host="acme.localhost", HTTP_AUTHORIZATION=f"Bearer {raw_token}")

    response = client.delete(f"/api/v1/handoffs/{packet.pk}")

    assert response.status_code == 405
    assert HandoffPacket.objects.filter(pk=packet.pk).exists()
    assert HandoffEvent.objects.filter(packet=packet).count() == events
