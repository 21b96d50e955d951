from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from psops.accounts.models import Invitation, User
from psops.tenancy.admin import TenantOnlyAdmin


@admin.register(User)
class UserAdmin(TenantOnlyAdmin):
    """People, read-mostly.

    Role, manager and activation change only in Settings > Users, whose services keep
    one active admin and refuse reporting loops; here they would bypass both. Nobody
    is deleted: deleting a person takes other people's 1:1s and private notes with
    them (and the confirmation page would list them), so people are deactivated.
    """

    list_display = ["email", "full_name", "role", "manager", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["email", "full_name"]
    list_select_related = ["manager"]
    fields = [
        "email",
        "full_name",
        "time_zone",
        "role",
        "manager",
        "is_active",
        "changed_in_settings",
        "last_login",
        "date_joined",
    ]
    readonly_fields = [
        "role",
        "manager",
        "is_active",
        "changed_in_settings",
        "last_login",
        "date_joined",
    ]

    @admin.display(description="Role, manager, activation")
    def changed_in_settings(self, obj):
        url = reverse("accounts:user_edit", args=[obj.pk]) if obj.pk else ""
        return format_html(
            'Changed in <a href="{}">Settings &gt; Users</a>, which keeps at least one '
            "active admin and refuses reporting loops. People are deactivated there, "
            "never deleted.",
            url or reverse("accounts:user_list"),
        )

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        # People join through invitations (Settings > Users), which let them set
        # their own password.
        return False


@admin.register(Invitation)
class InvitationAdmin(TenantOnlyAdmin):
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
