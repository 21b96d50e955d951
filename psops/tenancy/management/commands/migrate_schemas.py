# The same command under django-tenants' own name, so both spellings keep the template current.
from psops.tenancy.management.commands.migrate import Command  # noqa: F401
