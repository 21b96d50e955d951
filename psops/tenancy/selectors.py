from django.db.models import QuerySet

from psops.tenancy.models import PUBLIC_SLUG, Organization


def organization_list_tenants() -> QuerySet[Organization]:
    """Every customer organization: never the public schema (and the template has no row)."""
    return Organization.objects.exclude(slug=PUBLIC_SLUG).order_by("slug")
