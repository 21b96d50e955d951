from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from psops.tenancy.exports import organization_export
from psops.tenancy.models import Organization


class Command(BaseCommand):
    help = "Write every table of an organization's schema to a JSON file (see delete_org)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The organization's slug, e.g. acme.")
        parser.add_argument("file", type=Path, help="Where to write the export.")

    def handle(self, *args, slug, file, **options):
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organization has the slug {slug!r}.")
        try:
            counts = organization_export(organization=organization, path=file)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {organization.name}: {sum(counts.values())} rows "
                f"in {len(counts)} tables to {file}."
            )
        )
