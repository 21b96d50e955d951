from django.contrib import admin

from handoffs.models import (
    ApiToken,
    HandoffComment,
    HandoffEvent,
    HandoffItem,
    HandoffPacket,
    HandoffReview,
    HandoffStakeholder,
    HandoffVerdict,
)


class ItemInline(admin.TabularInline):
    model = HandoffItem
    extra = 0


class StakeholderInline(admin.TabularInline):
    model = HandoffStakeholder
    extra = 0


@admin.register(HandoffPacket)
class HandoffPacketAdmin(admin.ModelAdmin):
    list_display = ["deal_name", "client", "new_client_name", "status", "filed_by", "submitted_at"]
    list_filter = ["status", "engagement_kind"]
    search_fields = ["deal_name", "crm_id", "client__name", "new_client_name"]
    list_select_related = ["client", "filed_by"]
    raw_id_fields = ["client", "filed_by", "assigned_reviewer", "engagement"]
    inlines = [StakeholderInline, ItemInline]


class VerdictInline(admin.TabularInline):
    model = HandoffVerdict
    extra = 0
    raw_id_fields = ["item"]


@admin.register(HandoffReview)
class HandoffReviewAdmin(admin.ModelAdmin):
    list_display = ["packet", "round", "reviewer", "decision", "created_at"]
    list_filter = ["decision"]
    list_select_related = ["packet", "reviewer"]
    raw_id_fields = ["packet", "reviewer"]
    inlines = [VerdictInline]


@admin.register(HandoffEvent)
class HandoffEventAdmin(admin.ModelAdmin):
    list_display = ["packet", "kind", "round", "actor", "occurred_at"]
    list_filter = ["kind"]
    list_select_related = ["packet", "actor"]
    raw_id_fields = ["packet", "actor"]


@admin.register(HandoffComment)
class HandoffCommentAdmin(admin.ModelAdmin):
    list_display = ["packet", "author", "created_at"]
    list_select_related = ["packet", "author"]
    raw_id_fields = ["packet", "author"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "acts_as", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["acts_as"]
    readonly_fields = ["prefix", "token_hash", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        # Tokens are created in Settings > API tokens, which shows the value once.
        return False
