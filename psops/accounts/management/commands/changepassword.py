"""``changepassword`` through the accounts service, so the person is told (Django's own
command saves the user directly). Run it in an organization's schema:
``manage.py tenant_command changepassword --schema=acme ann@acme.test``."""

import getpass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from psops.accounts.emails import email_normalize
from psops.accounts.models import User
from psops.accounts.services import user_password_set

MAX_TRIES = 3


class Command(BaseCommand):
    help = "Change a person's password; they are emailed that it changed."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("email", help="The person's email address.")

    def _ask(self, prompt: str) -> str:
        return getpass.getpass(prompt)

    def handle(self, *args, email, **options):
        user = User.objects.filter(email__iexact=email_normalize(email)).first()
        if user is None:
            raise CommandError(f"Nobody here signs in with {email}.")
        for _ in range(MAX_TRIES):
            password = self._ask(f"New password for {user.email}: ")
            if password != self._ask("Again: "):
                self.stderr.write("The two passwords do not match.")
                continue
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            user_password_set(user=user, password=password)
            self.stdout.write(f"Password changed for {user.email}; they were emailed about it.")
            return
        raise CommandError(f"Too many tries; the password of {user.email} is unchanged.")
