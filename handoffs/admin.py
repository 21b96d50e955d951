from django import forms
from django.contrib import admin

from handoffs.forms import validate_sow
from handoffs.models import (
    ITEM_FIELDS,
    STAKEHOLDER_FIELDS,
    ApiToken,
    HandoffComment,
    HandoffEvent,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffStakeholder,
    HandoffVerdict,
)
from handoffs.services import sow_filename
from psops.tenancy.admin import TenantOnlyAdmin


class ItemInline(admin.TabularInline):
    model = HandoffItem
    fields = ITEM_FIELDS
    extra = 0


class StakeholderInline(admin.TabularInline):
    model = HandoffStakeholder
    fields = STAKEHOLDER_FIELDS
    extra = 0


class HandoffPacketAdminForm(forms.ModelForm):
    # Model and fields come from the admin (ModelAdmin.get_form).

    def clean_sow(self):
        # The same checks as the packet form: a PDF or DOCX of at most 10 MB.
        upload = self.cleaned_data.get("sow")
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            validate_sow(upload)
        return upload


@admin.register(HandoffPacket)
class HandoffPacketAdmin(TenantOnlyAdmin):
    form = HandoffPacketAdminForm
    list_display = ["deal_name", "client", "new_client_name", "status", "filed_by", "submitted_at"]
    list_filter = ["status", "engagement_kind"]
    search_fields = ["deal_name", "crm_id", "client__name", "new_client_name"]
    list_select_related = ["client", "filed_by"]
    raw_id_fields = ["client", "filed_by", "assigned_reviewer"]
    # The review workflow (submission, rounds, decisions, acceptance) happens in
    # the app, where it is checked and recorded; here it is only shown.
    readonly_fields = [
        "sow_filename",
        "status",
        "review_round",
        "first_submitted_at",
        "submitted_at",
        "decided_at",
        "rejection_reason",
        "engagement",
    ]
    inlines = [StakeholderInline, ItemInline]

    def save_model(self, request, obj, form, change):
        # The download is named after the uploaded file, as when sales attach it.
        if "sow" in form.changed_data:
            upload = form.cleaned_data.get("sow")
            obj.sow_filename = sow_filename(upload) if upload else ""
        super().save_model(request, obj, form, change)


class VerdictInline(admin.TabularInline):
    model = HandoffVerdict
    extra = 0
    raw_id_fields = ["item"]


@admin.register(HandoffReview)
class HandoffReviewAdmin(TenantOnlyAdmin):
    list_display = ["packet", "round", "reviewer", "decision", "created_at"]
    list_filter = ["decision"]
    list_select_related = ["packet", "reviewer"]
    raw_id_fields = ["packet", "reviewer"]
    inlines = [VerdictInline]


@admin.register(HandoffEvent)
class HandoffEventAdmin(TenantOnlyAdmin):
    list_display = ["packet", "kind", "round", "actor", "occurred_at"]
    list_filter = ["kind"]
    list_select_related = ["packet", "actor"]
    raw_id_fields = ["packet", "actor"]


@admin.register(HandoffComment)
class HandoffCommentAdmin(TenantOnlyAdmin):
    list_display = ["packet", "author", "created_at"]
    list_select_related = ["packet", "author"]
    raw_id_fields = ["packet", "author"]


@admin.register(ApiToken)
class ApiTokenAdmin(TenantOnlyAdmin):
    list_display = ["name", "prefix", "acts_as", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["acts_as"]
    readonly_fields = ["prefix", "token_hash", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        # Tokens are created in Settings > API tokens, which shows the value once.
        return False
