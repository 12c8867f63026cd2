from django import forms
from django.contrib import admin, messages

from governance.admin.base import OperatorOnlyAdmin, ReadOnlyAdmin, TenantScopedAdmin
from governance.admin.humane import person
from governance.errors import SightguardError
from governance.models import (
    ApiKey,
    Membership,
    Tenant,
    User,
)
from governance.tenancy import keys, scoping, tenants

admin.site.site_header = "Sightguard"
admin.site.site_title = "Sightguard"
admin.site.index_template = "admin/console_index.html"  # the home is a console (governance.dashboard)


class TenantForm(forms.ModelForm):
    slug = forms.CharField(max_length=50, label="short name", help_text="Used in URLs: lowercase letters, digits, hyphens.")

    class Meta:
        model = Tenant
        fields = ("slug", "name", "face_blur", "retain_cleaned_images_days")

    def clean_slug(self):
        try:
            return tenants.check_slug(self.cleaned_data["slug"])
        except SightguardError as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from None


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    """The operator creates and edits tenants; a tenant admin sees and edits only their own settings.
    Nobody deletes here: a tenant's data goes through retention and erasure, never a cascade."""

    operator_concept = True

    operator_can = ("view", "add", "change")
    tenant_admin_can = ("view", "change")
    form = TenantForm
    list_display = ("slug", "name", "face_blur", "retain_cleaned_images_days", "created_at")
    search_fields = ("slug", "name")
    ordering = ("slug",)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)  # created_at records history: read-only
        return readonly if scoping.is_operator(request.user) else ("slug", *readonly)


@admin.register(User)
class UserAdmin(OperatorOnlyAdmin):
    """Accounts are the operator's; they are created by create_tenant / add_member."""

    operator_can = ("view", "change")
    list_display = ("email", "is_staff", "is_superuser", "is_active", "date_joined")
    fields = ("email", "is_active", "is_staff", "is_superuser", "date_joined", "last_login")
    readonly_fields = ("date_joined", "last_login")


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ("member", "tenant", "role", "created_at")
    list_select_related = ("user", "tenant")

    @admin.display(description="person")
    def member(self, obj):
        return person(obj.user)
    list_filter = ("role",)
    tenant_admin_can = ("view", "change")
    readonly_fields = ("tenant", "user", "created_at")


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "tenant", "holder", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user", "tenant")

    @admin.display(description="person")
    def holder(self, obj):
        return person(obj.user)
    exclude = ("key_hash",)
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "key_hash"]

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request, queryset):
        for key in queryset:
            keys.revoke_key(key=key, actor=request.user)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)
