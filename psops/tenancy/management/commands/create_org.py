from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from psops.accounts.services import password_setup_url
from psops.tenancy.services import organization_create, tenant_base_url
from psops.tenancy.template import TemplateNotReady


class Command(BaseCommand):
    help = (
        "Provision an organization: its schema (cloned from the template), domain and first admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help='Display name, e.g. "Acme Corp".')
        parser.add_argument(
            "--slug", required=True, help="Lower-case host label, e.g. acme for acme.<base domain>."
        )
        parser.add_argument("--admin-email", required=True, help="Email of the first admin.")

    def handle(self, *args, name, slug, admin_email, **options):
        try:
            provisioned = organization_create(name=name, slug=slug, admin_email=admin_email)
        except ValidationError as error:
            lines = [
                f"  {field.replace('_', '-')}: {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            ]
            raise CommandError("Nothing was created:\n" + "\n".join(lines)) from error
        except TemplateNotReady as error:
            raise CommandError(f"Nothing was created: {error}") from error

        base_url = tenant_base_url(domain=provisioned.domain.domain)
        with schema_context(provisioned.organization.schema_name):
            setup_url = password_setup_url(user=provisioned.admin, base_url=base_url)
        self.stdout.write(self.style.SUCCESS(f"Created {provisioned.organization.name}."))
        self.stdout.write(
            f"  Address:  {base_url}/\n"
            f"  Admin:    {provisioned.admin.email}\n"
            f"  The admin chooses a password here (valid 24 hours, works once):\n"
            f"  {setup_url}\n"
            f"  Later, forgotten passwords are reset from the sign-in page."
        )
