"""``migrate``: django-tenants' schema-aware migrate, plus the public tenant and the template.

After the public schema and every tenant are migrated, this makes sure the
public organization and its domain exist and migrates the tenant template
schema, so that new tenants are always cloned from an up-to-date template.
"""

from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor

from psops.tenancy.services import public_organization_ensure
from psops.tenancy.template import TEMPLATE_SCHEMA


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        if self.sync_public and self.schema_name in (None, self.PUBLIC_SCHEMA_NAME):
            public_organization_ensure()
        whole_run = not self.schema_name or self.schema_name == self.PUBLIC_SCHEMA_NAME
        if self.sync_tenant and whole_run:
            self._migrate_template()

    def _migrate_template(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{TEMPLATE_SCHEMA}"')
        executor = get_executor(codename=self.executor)(self.args, self.options)
        executor.run_migrations(tenants=[TEMPLATE_SCHEMA])
        connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants'
