import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from psops.accounts.models import Role, User
from psops.tenancy import template as template_module
from psops.tenancy.models import Domain, Organization
from psops.tenancy.scheduler import TenantScheduler
from psops.tenancy.selectors import organization_list_tenants
from psops.tenancy.template import TEMPLATE_SCHEMA, template_has_user_data
from tests.conftest import TenantClient

pytestmark = pytest.mark.django_db


def create_org(**options):
    from io import StringIO

    out = StringIO()
    call_command("create_org", stdout=out, **options)
    return out.getvalue()


def all_schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cursor}


def nothing_created_for(slug: str) -> bool:
    schema = slug.replace("-", "_")
    return (
        not Organization.objects.filter(slug=slug).exists()
        and not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
        and not schema_exists(schema)
    )


def test_create_org_provisions_a_tenant_whose_admin_can_set_a_password_and_sign_in():
    output = create_org(name="Initech", slug="initech", admin_email="Boss@Initech.test")

    organization = Organization.objects.get(slug="initech")
    assert organization.name == "Initech"
    assert schema_exists("initech")
    assert Domain.objects.get(tenant=organization).domain == "initech.localhost"
    with schema_context("initech"):
        admin = User.objects.get()
        assert (admin.email, admin.role) == ("boss@initech.test", Role.ADMIN)
    assert "http://initech.localhost:8000/" in output

    # The printed link lets the admin choose a password, then sign in with it.
    setup_path = next(
        line.strip() for line in output.splitlines() if "/accounts/reset/" in line
    ).split("localhost:8000", 1)[1]
    client = TenantClient(host="initech.localhost")
    form_page = client.get(setup_path, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    saved = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "initech tps reports 9", "new_password2": "initech tps reports 9"},
    )
    assert saved.status_code == 302
    signed_in = client.post(
        "/accounts/login/", {"username": "boss@initech.test", "password": "initech tps reports 9"}
    )
    assert signed_in.status_code == 302
    assert "PS dashboard" in client.get("/").content.decode()  # the admin lands on it


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"slug": "Bad_Slug"}, "lower-case letters"),
        ({"slug": "umbrella-"}, "not ending with a hyphen"),
        ({"slug": "public"}, "is reserved"),
        ({"slug": "tenant-template"}, "is reserved"),
        ({"admin_email": "not-an-email"}, "is not a valid email address"),
        ({"name": "   "}, "Enter the organization's name"),
    ],
)
def test_create_org_rejects_bad_input_and_creates_nothing(options, message):
    arguments = {"name": "Umbrella", "slug": "umbrella", "admin_email": "a@umbrella.test"}
    arguments.update(options)
    organizations_before, schemas_before = Organization.objects.count(), all_schemas()

    with pytest.raises(CommandError) as error:
        create_org(**arguments)

    assert "Nothing was created" in str(error.value)
    assert message in str(error.value)
    assert Organization.objects.count() == organizations_before
    assert all_schemas() == schemas_before
    assert not Domain.objects.filter(domain__startswith="umbrella").exists()


def test_create_org_rejects_a_duplicate_slug():
    with pytest.raises(CommandError, match='slug "acme" already exists'):
        create_org(name="Acme again", slug="acme", admin_email="a@acme2.test")

    assert Organization.objects.filter(slug="acme").count() == 1


def test_a_failure_midway_leaves_no_organization_schema_or_domain(monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(User.objects, "create_user", explode)

    with pytest.raises(RuntimeError):
        create_org(name="Hooli", slug="hooli", admin_email="gavin@hooli.test")

    assert nothing_created_for("hooli")


def test_provisioning_refuses_a_template_that_is_behind(monkeypatch):
    monkeypatch.setattr(
        template_module, "template_pending_migrations", lambda: ["accounts.0002_future"]
    )

    with pytest.raises(CommandError, match="behind by 1 migration"):
        create_org(name="Hooli", slug="hooli", admin_email="gavin@hooli.test")

    assert nothing_created_for("hooli")


def test_the_migrated_template_is_current_and_holds_no_people():
    assert template_module.template_pending_migrations() == []
    assert not template_has_user_data()


def _schema_shape(schema: str) -> dict[str, set]:
    """Tables, columns, constraints and indexes of a schema, with its own name abstracted."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name, data_type, is_nullable,
                   coalesce(column_default, ''), coalesce(character_maximum_length, 0)
            FROM information_schema.columns WHERE table_schema = %s
            """,
            [schema],
        )
        columns = {tuple(str(v).replace(schema, "<schema>") for v in row) for row in cursor}
        cursor.execute(
            """
            SELECT rel.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
            FROM pg_constraint con
            JOIN pg_class rel ON rel.oid = con.conrelid
            JOIN pg_namespace ns ON ns.oid = rel.relnamespace
            WHERE ns.nspname = %s
            """,
            [schema],
        )
        constraints = {tuple(str(v).replace(schema, "<schema>") for v in row) for row in cursor}
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = %s", [schema])
        indexes = {(table, definition.replace(schema, "<schema>")) for table, definition in cursor}
        cursor.execute(
            """
            SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace ns ON ns.oid = c.relnamespace
            WHERE ns.nspname = %s AND NOT t.tgisinternal
            """,
            [schema],
        )
        triggers = {tuple(str(v).replace(schema, "<schema>") for v in row) for row in cursor}
    return {
        "columns": columns,
        "constraints": constraints,
        "indexes": indexes,
        "triggers": triggers,
    }


def test_a_cloned_tenant_has_the_same_tables_and_columns_as_a_migrated_schema():
    """Guards against template drift: a clone must equal a schema built by migrations."""
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "plain_migrated"')
    call_command(
        "migrate_schemas", schema_name="plain_migrated", tenant=True, interactive=False, verbosity=0
    )
    connection.set_schema_to_public()

    cloned = _schema_shape("acme")
    migrated = _schema_shape("plain_migrated")

    assert cloned["columns"], "the cloned tenant has no tables"
    assert cloned["columns"] == migrated["columns"]
    assert cloned["constraints"] == migrated["constraints"]
    assert cloned["indexes"] == migrated["indexes"]
    assert cloned["triggers"] == migrated["triggers"]
    assert ("engagements_followup", "kpi_data_changed") in {t[:2] for t in cloned["triggers"]}
    tables = {row[0] for row in cloned["columns"]}
    assert {"accounts_user", "django_session", "axes_accessattempt"} <= tables


def test_every_tenant_has_every_table_of_the_template():
    """search_path is tenant, public: a table missing in a tenant would silently read public's."""
    template_tables = {row[0] for row in _schema_shape(TEMPLATE_SCHEMA)["columns"]}
    for organization in organization_list_tenants():
        tables = {row[0] for row in _schema_shape(organization.schema_name)["columns"]}
        assert tables == template_tables, organization.slug


def test_all_tenant_loops_and_beat_skip_public_and_the_template():
    schemas = set(organization_list_tenants().values_list("schema_name", flat=True))
    beat_schemas = set(TenantScheduler.get_queryset().values_list("schema_name", flat=True))

    assert {"acme", "globex"} <= schemas
    assert "public" not in schemas
    assert TEMPLATE_SCHEMA not in schemas
    assert beat_schemas == schemas
    assert not Organization.objects.filter(schema_name=TEMPLATE_SCHEMA).exists()


def test_every_model_change_has_its_migration():
    from io import StringIO

    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"makemigrations found changes without a migration:\n{out.getvalue()}")
