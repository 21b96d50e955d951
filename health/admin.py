"""Only KPI targets and snapshots are in the Django admin.

Check-ins, pulse answers and 1:1s are deliberately absent: check-ins are seen by
their author and manager, pulse answers only in groups large enough to stay
anonymous, and 1:1 notes only by their two people (private notes by their author
alone). An admin site listing them would bypass every one of those rules.
"""

from django.contrib import admin

from health.models import KpiSnapshot, KpiTarget
from psops.tenancy.admin import TenantOnlyAdmin


@admin.register(KpiTarget)
class KpiTargetAdmin(TenantOnlyAdmin):
    list_display = ["key", "target", "updated_by", "updated_at"]
    readonly_fields = ["updated_by", "updated_at"]


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(TenantOnlyAdmin):
    list_display = ["key", "day", "value", "computed_at"]
    list_filter = ["key"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
