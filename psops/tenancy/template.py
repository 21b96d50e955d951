"""The template schema every new tenant is cloned from.

New organizations are provisioned by copying ``settings.TENANT_BASE_SCHEMA``
(PostgreSQL's clone of a migrated schema) and recording its migrations as
applied, which is several times faster than migrating a fresh schema.

The template has no ``Organization`` row, so no "all tenants" loop (beat's
fan-out, ``migrate_schemas``' tenant pass, our own selectors) can ever reach it.
Instead ``manage.py migrate`` migrates it explicitly after the tenants, and
provisioning refuses to clone a template that is missing or behind, because a
clone of a stale template would be recorded as fully migrated while missing
columns.
"""

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import schema_context, schema_exists

TEMPLATE_SCHEMA: str = settings.TENANT_BASE_SCHEMA


class TemplateNotReady(Exception):
    """The template schema is missing or has unapplied migrations."""


def template_pending_migrations() -> list[str]:
    """Names of migrations not yet applied to the template (all of them if it is missing)."""
    with schema_context(TEMPLATE_SCHEMA):
        executor = MigrationExecutor(connection)
        targets = executor.loader.graph.leaf_nodes()
        if not schema_exists(TEMPLATE_SCHEMA):
            return [f"{app}.{name}" for app, name in executor.loader.graph.nodes]
        return [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(targets)]


def template_check() -> None:
    """Raise ``TemplateNotReady`` unless the template exists and is fully migrated."""
    if not schema_exists(TEMPLATE_SCHEMA):
        raise TemplateNotReady(
            f'The tenant template schema "{TEMPLATE_SCHEMA}" does not exist. '
            "Run `python manage.py migrate` first."
        )
    pending = template_pending_migrations()
    if pending:
        raise TemplateNotReady(
            f'The tenant template schema "{TEMPLATE_SCHEMA}" is behind by {len(pending)} '
            f"migration(s) ({', '.join(pending[:3])}...). Run `python manage.py migrate` first."
        )


def template_has_user_data() -> bool:
    """True if anything beyond framework rows (content types, permissions) is in the template."""
    with schema_context(TEMPLATE_SCHEMA), connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM accounts_user)")
        return cursor.fetchone()[0]


_UNIQUE_CONSTRAINTS_SQL = """
    SELECT rel.relname, con.conname, pg_get_constraintdef(con.oid)
    FROM pg_constraint con
    JOIN pg_class rel ON rel.oid = con.conrelid
    JOIN pg_namespace ns ON ns.oid = rel.relnamespace
    WHERE ns.nspname = %s AND con.contype = 'u'
"""


def clone_constraint_names_restore(*, schema_name: str) -> int:
    """Give a fresh clone's unique constraints the names they have in the template.

    django-tenants' ``clone_schema`` re-creates unique constraints inline, so
    PostgreSQL names them ``<table>_<columns>_key`` instead of Django's
    ``..._<hash>_uniq``. A later migration that drops or alters such a constraint
    by name would then fail on cloned tenants only. Returns how many were renamed.
    """
    with connection.cursor() as cursor:
        cursor.execute(_UNIQUE_CONSTRAINTS_SQL, [TEMPLATE_SCHEMA])
        expected = {(table, definition): name for table, name, definition in cursor.fetchall()}
        cursor.execute(_UNIQUE_CONSTRAINTS_SQL, [schema_name])
        renamed = 0
        for table, name, definition in cursor.fetchall():
            wanted = expected.get((table, definition))
            if wanted and wanted != name:
                table_name = f'"{schema_name}"."{table}"'
                cursor.execute(f'ALTER TABLE {table_name} RENAME CONSTRAINT "{name}" TO "{wanted}"')
                renamed += 1
    return renamed
