from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from psops.tenancy.exports import organization_delete, organization_export_check
from psops.tenancy.models import Organization


class Command(BaseCommand):
    help = (
        "Delete an organization, its schema and domains. Refused unless --export-file is a "
        "current export of it (export_org)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The organization's slug, e.g. acme.")
        parser.add_argument(
            "--export-file",
            type=Path,
            required=True,
            help="The file export_org wrote for this organization, since its last change.",
        )
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask to type the slug again.",
        )

    def handle(self, *args, slug, export_file, interactive, **options):
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"No organization has the slug {slug!r}.")
        try:
            organization_export_check(organization=organization, path=export_file)
            if interactive:
                answer = input(
                    f"This deletes {organization.name} and all of its data for good. "
                    "Type its slug to go on: "
                )
                if answer.strip() != slug:
                    raise CommandError("Nothing was deleted.")
            organization_delete(organization=organization, export_path=export_file)
        except ValidationError as error:
            raise CommandError("Nothing was deleted: " + " ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Deleted {slug}; its data is in {export_file}."))
