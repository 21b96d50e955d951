from django.contrib import admin

from psops.accounts.models import Invitation, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "role", "manager", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    list_select_related = ["manager"]
    fields = [
        "email",
        "full_name",
        "role",
        "manager",
        "time_zone",
        "is_active",
        "last_login",
        "date_joined",
    ]
    readonly_fields = ["last_login", "date_joined"]
    autocomplete_fields = ["manager"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role"]
    search_fields = ["email"]
    list_select_related = ["invited_by"]
    exclude = ["token_hash"]
    readonly_fields = ["invited_by", "created_at", "accepted_at", "accepted_user"]

    def has_add_permission(self, request):
        # Invitations are sent from Settings > Users, which emails the link.
        return False
