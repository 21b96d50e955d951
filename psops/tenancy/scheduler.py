"""Celery beat: one fan-out per scheduled job, each run inside every customer tenant.

tenant-schemas-celery's scheduler sends a due entry once per tenant row except
public. The template schema has no tenant row, so it is never reached; the
queryset is narrowed to customer organizations all the same, so that any future
non-customer row is excluded here too.
"""

from django.db.models import QuerySet
from tenant_schemas_celery.scheduler import TenantAwareScheduler

from psops.tenancy.models import Organization
from psops.tenancy.selectors import organization_list_tenants


class TenantScheduler(TenantAwareScheduler):
    @classmethod
    def get_queryset(cls) -> QuerySet[Organization]:
        return organization_list_tenants()
