"""Fill the KPI trends from history: ``manage.py backfill_kpi_snapshots --days 84``."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tenants.utils import schema_context

from health.kpis.snapshots import kpi_snapshots_backfill
from psops.tenancy.selectors import organization_list_tenants


class Command(BaseCommand):
    help = (
        "Compute and store daily KPI snapshots for past days from each organization's "
        "history. Idempotent: days already stored are overwritten, never duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=84, help="How many days to fill, ending on --until."
        )
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            default=None,
            help="The last day to fill (YYYY-MM-DD); today by default.",
        )
        parser.add_argument(
            "--schema", default="", help="Only this organization's schema; all by default."
        )

    def handle(self, *args, days: int, until: date | None, schema: str, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        until = until or timezone.localdate()
        organizations = organization_list_tenants()
        if schema:
            organizations = organizations.filter(schema_name=schema)
            if not organizations.exists():
                raise CommandError(f"No organization has the schema “{schema}”.")
        for organization in organizations:
            with schema_context(organization.schema_name):
                stored = kpi_snapshots_backfill(days=days, until=until)
            self.stdout.write(
                f"{organization.schema_name}: {stored} snapshots for {days} days up to {until}."
            )
