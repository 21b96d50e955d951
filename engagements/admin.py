from django.contrib import admin

from engagements.models import (
    Activity,
    Client,
    Engagement,
    EngagementReset,
    Escalation,
    FollowUp,
    PainPoint,
    Recommendation,
    Stakeholder,
)
from psops.tenancy.admin import TenantOnlyAdmin


@admin.register(Client)
class ClientAdmin(TenantOnlyAdmin):
    list_display = ["name", "industry", "segment", "created_at"]
    list_filter = ["segment"]
    search_fields = ["name", "industry"]


@admin.register(Engagement)
class EngagementAdmin(TenantOnlyAdmin):
    list_display = ["name", "client", "kind", "status", "lead", "start_date", "target_end_date"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "client__name"]
    list_select_related = ["client", "lead"]
    autocomplete_fields = ["client", "lead", "sold_by"]
    filter_horizontal = ["team"]


@admin.register(Stakeholder)
class StakeholderAdmin(TenantOnlyAdmin):
    list_display = ["name", "title", "client", "role", "influence", "affected"]
    list_filter = ["role", "influence", "affected"]
    search_fields = ["name", "email", "client__name"]
    list_select_related = ["client"]
    filter_horizontal = ["engagements"]


@admin.register(PainPoint)
class PainPointAdmin(TenantOnlyAdmin):
    list_display = ["title", "engagement", "category", "severity", "status", "identified_on"]
    list_filter = ["category", "severity", "status"]
    search_fields = ["title", "engagement__name"]
    list_select_related = ["engagement__client"]
    raw_id_fields = ["engagement", "identified_by"]
    filter_horizontal = ["affected_stakeholders"]


@admin.register(Recommendation)
class RecommendationAdmin(TenantOnlyAdmin):
    list_display = ["title", "engagement", "status", "decided_by_name", "decided_on"]
    list_filter = ["status"]
    search_fields = ["title", "engagement__name"]
    list_select_related = ["engagement__client"]
    raw_id_fields = ["engagement", "pain_point", "created_by"]


@admin.register(FollowUp)
class FollowUpAdmin(TenantOnlyAdmin):
    list_display = ["title", "engagement", "owner", "due_on", "channel", "status"]
    list_filter = ["status", "channel"]
    search_fields = ["title", "engagement__name"]
    list_select_related = ["engagement__client", "owner"]
    raw_id_fields = ["engagement", "owner", "stakeholder", "created_by"]


@admin.register(Escalation)
class EscalationAdmin(TenantOnlyAdmin):
    list_display = ["title", "engagement", "severity", "status", "raised_at"]
    list_filter = ["severity", "status"]
    search_fields = ["title", "engagement__name"]
    list_select_related = ["engagement__client"]
    raw_id_fields = ["engagement", "raised_by"]
    filter_horizontal = ["affected_stakeholders"]


@admin.register(EngagementReset)
class EngagementResetAdmin(TenantOnlyAdmin):
    list_display = ["engagement", "previous_target_end_date", "new_target_end_date", "reset_at"]
    list_select_related = ["engagement__client"]
    raw_id_fields = ["engagement", "reset_by"]


@admin.register(Activity)
class ActivityAdmin(TenantOnlyAdmin):
    list_display = ["summary", "engagement", "kind", "actor", "occurred_at"]
    list_filter = ["kind"]
    search_fields = ["summary", "engagement__name"]
    list_select_related = ["engagement__client", "actor"]
    raw_id_fields = ["engagement", "actor"]
