"""Organizations (tenants) and their domains: the public schema's only business tables.

Each organization owns one PostgreSQL schema holding its users, sessions and all
of its data; ``Domain`` routes a host name to it. The public schema itself is
represented by a row too (slug ``public``), as django-tenants requires.
"""

from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

PUBLIC_SLUG = "public"

# Lower-case letters, digits and inner hyphens, 2-40 characters, starting with a letter.
slug_validator = RegexValidator(
    regex=r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$",
    message=(
        "Use 2-40 lower-case letters, digits or hyphens, starting with a letter "
        "and not ending with a hyphen."
    ),
)


class Organization(TenantMixin):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=40, unique=True, validators=[slug_validator])
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are created explicitly by the provisioning service, which clones
    # the template inside its own transaction.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.slug == PUBLIC_SLUG


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain
