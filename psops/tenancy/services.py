"""Provisioning organizations (tenants)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context, schema_exists

from psops.accounts.emails import email_normalize
from psops.accounts.models import User
from psops.tenancy.models import PUBLIC_SLUG, Domain, Organization, slug_validator
from psops.tenancy.template import (
    TEMPLATE_SCHEMA,
    clone_constraint_names_restore,
    template_check,
)

# Slugs that would collide with infrastructure host names or schema names.
RESERVED_SLUGS = frozenset(
    {
        PUBLIC_SLUG,
        "www",
        "api",
        "admin",
        "app",
        "static",
        "media",
        "mail",
        "status",
        "template",
        TEMPLATE_SCHEMA.replace("_", "-"),
        "information-schema",
        "pg",
    }
)


@dataclass(frozen=True)
class ProvisionedOrganization:
    organization: Organization
    domain: Domain
    admin: User


def tenant_domain_for(*, slug: str) -> str:
    return f"{slug}.{settings.PSOPS_BASE_DOMAIN}"


def tenant_base_url(*, domain: str) -> str:
    port = f":{settings.PSOPS_PUBLIC_PORT}" if settings.PSOPS_PUBLIC_PORT else ""
    return f"{settings.PSOPS_URL_SCHEME}://{domain}{port}"


def organization_base_url(*, schema_name: str | None = None) -> str:
    """The address of an organization (the current schema's by default), from configuration.

    Every emailed link starts with this: the organization's primary domain with the
    configured scheme and port, never the request's ``Host`` header, which a client
    chooses (a forged port or scheme would send a reset token to someone else's server).
    """
    schema_name = schema_name or connection.schema_name  # type: ignore[attr-defined]  # django-tenants'
    organization = Organization.objects.filter(schema_name=schema_name).first()
    if organization is None:
        raise ValueError(f"No organization has the schema {schema_name!r}.")
    domain = (
        Domain.objects.filter(tenant=organization, is_primary=True)
        .values_list("domain", flat=True)
        .first()
    ) or tenant_domain_for(slug=organization.slug)
    return tenant_base_url(domain=domain)


def organization_validate(*, name: str, slug: str, admin_email: str) -> None:
    """Raise ``ValidationError`` (per field) for anything that would stop provisioning."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors.setdefault("name", []).append("Enter the organization's name.")
    try:
        slug_validator(slug)
    except ValidationError as error:
        errors.setdefault("slug", []).extend(error.messages)
    else:
        schema_name = slug.replace("-", "_")
        if slug in RESERVED_SLUGS or slug.startswith("pg-"):
            errors.setdefault("slug", []).append(f'"{slug}" is reserved; choose another slug.')
        elif (
            Organization.objects.filter(slug=slug).exists()
            or Organization.objects.filter(schema_name__iexact=schema_name).exists()
            or Domain.objects.filter(domain=tenant_domain_for(slug=slug)).exists()
            or schema_exists(schema_name, case_sensitive=False)
        ):
            errors.setdefault("slug", []).append(
                f'An organization with slug "{slug}" already exists.'
            )
    try:
        validate_email(admin_email)
    except ValidationError:
        errors.setdefault("admin_email", []).append(
            f'"{admin_email}" is not a valid email address.'
        )
    if errors:
        raise ValidationError(errors)


def organization_create(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_password: str | None = None,
    admin_full_name: str = "",
) -> ProvisionedOrganization:
    """Provision a tenant: its schema (cloned from the template), its domain and first admin.

    Everything happens in one transaction (PostgreSQL DDL is transactional), so a
    failure at any step leaves no organization, schema, domain or user behind.
    Without ``admin_password`` the admin gets an unusable password and signs in
    through a set-password link (see ``psops.accounts.services``).
    """
    name, slug, admin_email = name.strip(), slug.strip(), email_normalize(admin_email)
    organization_validate(name=name, slug=slug, admin_email=admin_email)
    template_check()

    with transaction.atomic():
        organization = Organization(name=name, slug=slug, schema_name=slug.replace("-", "_"))
        organization.save()
        organization.create_schema(check_if_exists=False, verbosity=0)
        clone_constraint_names_restore(schema_name=organization.schema_name)
        domain = Domain.objects.create(
            domain=tenant_domain_for(slug=slug), tenant=organization, is_primary=True
        )
        with schema_context(organization.schema_name):
            admin = User.objects.create_user(
                email=admin_email,
                password=admin_password,
                full_name=admin_full_name,
                role=User.Role.ADMIN,
            )
    _backend_recycle_if_large()
    return ProvisionedOrganization(organization=organization, domain=domain, admin=admin)


# A backend's memory past which provisioning hands it back (see below).
BACKEND_RECYCLE_BYTES = 256 * 1024 * 1024


def _backend_recycle_if_large() -> None:
    """Close the connection when its PostgreSQL backend has grown large.

    A backend keeps the catalog entries of every schema it cloned for as long as it
    lives: one process provisioning hundreds of organizations on one connection
    slowed from 1 s to 40 s each, its backend at 1.7 GB. Past the limit the next
    query opens a fresh connection, as quick as the first; below it the warm one is
    kept (a fresh backend clones slower). Not inside a transaction, which it would end.
    """
    if connection.in_atomic_block:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts")
            size = cursor.fetchone()[0]
    except DatabaseError:
        size = BACKEND_RECYCLE_BYTES + 1  # the view needs pg_read_all_stats: recycle anyway
    if size > BACKEND_RECYCLE_BYTES:
        connection.close()


def public_organization_ensure() -> Organization:
    """The public schema's own row and domain, which django-tenants needs to route the base host."""
    organization, _ = Organization.objects.get_or_create(
        schema_name="public", defaults={"name": "PS Ops", "slug": PUBLIC_SLUG}
    )
    Domain.objects.get_or_create(
        domain=settings.PSOPS_BASE_DOMAIN, defaults={"tenant": organization, "is_primary": True}
    )
    return organization
