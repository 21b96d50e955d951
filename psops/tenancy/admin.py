from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import get_public_schema_name

from psops.accounts.services import password_setup_url
from psops.tenancy.models import Domain, Organization
from psops.tenancy.services import organization_create, organization_validate, tenant_base_url


class PublicOnlyAdmin(admin.ModelAdmin):
    """Organizations and domains are shared tables: visible to operators on the public host only."""

    def has_module_permission(self, request):
        return connection.schema_name == get_public_schema_name() and super().has_module_permission(  # type: ignore[attr-defined]  # django-tenants'
            request
        )

    def has_view_permission(self, request, obj=None):
        return connection.schema_name == get_public_schema_name() and super().has_view_permission(  # type: ignore[attr-defined]  # django-tenants'
            request, obj
        )

    def has_add_permission(self, request):
        return connection.schema_name == get_public_schema_name() and super().has_add_permission(  # type: ignore[attr-defined]  # django-tenants'
            request
        )

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        # Dropping a tenant's schema is not a click in the admin.
        return False


class OrganizationCreateForm(forms.ModelForm):
    admin_email = forms.EmailField(help_text="The organization's first admin.")

    class Meta:
        model = Organization
        fields = ["name", "slug"]

    def clean(self):
        cleaned = super().clean()
        try:
            organization_validate(
                name=cleaned.get("name", ""),
                slug=cleaned.get("slug", ""),
                admin_email=cleaned.get("admin_email", ""),
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                if field not in self.errors:
                    self.add_error(field, field_errors)
        return cleaned

    def validate_unique(self):
        # Uniqueness is part of organization_validate's messages.
        pass


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(PublicOnlyAdmin):
    list_display = ["name", "slug", "schema_name", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["schema_name", "created_at"]
    inlines = [DomainInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OrganizationCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "slug", "admin_email"]
        return ["name", "slug", "schema_name", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["slug", "schema_name", "created_at"] if obj else []

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        provisioned = organization_create(
            name=form.cleaned_data["name"],
            slug=form.cleaned_data["slug"],
            admin_email=form.cleaned_data["admin_email"],
        )
        obj.pk = provisioned.organization.pk
        obj.schema_name = provisioned.organization.schema_name
        obj._state.adding = False
        base_url = tenant_base_url(domain=provisioned.domain.domain)
        from django_tenants.utils import schema_context

        with schema_context(obj.schema_name):
            setup_url = password_setup_url(user=provisioned.admin, base_url=base_url)
        messages.info(
            request,
            f"{provisioned.organization.name} is ready at {base_url}/. "
            f"Send {provisioned.admin.email} this link to choose a password: {setup_url}",
        )


@admin.register(Domain)
class DomainAdmin(PublicOnlyAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain"]
