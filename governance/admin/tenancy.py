from django.contrib import admin, messages

from governance.admin.base import ReadOnlyAdmin, TenantScopedAdmin
from governance.models import (
    ApiKey,
    Membership,
    Tenant,
    User,
)
from governance.tenancy import keys, scoping

admin.site.site_header = "Sightguard"
admin.site.site_title = "Sightguard"


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    """The operator creates and edits tenants; a tenant admin sees and edits only their own settings."""

    list_display = ("slug", "name", "face_blur", "retain_cleaned_images_days", "created_at")
    search_fields = ("slug", "name")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if scoping.is_operator(request.user):
            return qs
        return qs.filter(pk__in=scoping.administered_tenant_ids(request.user))

    def has_module_permission(self, request):
        return scoping.is_operator(request.user) or bool(scoping.administered_tenant_ids(request.user))

    def has_view_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if scoping.is_operator(request.user):
            return True
        administered = scoping.administered_tenant_ids(request.user)
        return bool(administered) and (obj is None or obj.pk in administered)

    def has_add_permission(self, request):
        return scoping.is_operator(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # a tenant's data goes through retention and erasure, never a cascade here

    def get_readonly_fields(self, request, obj=None):
        return () if scoping.is_operator(request.user) else ("slug",)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Accounts are the operator's; they are created by create_tenant / add_member."""

    list_display = ("id", "is_staff", "is_superuser", "is_active", "date_joined")
    fields = ("email", "is_active", "is_staff", "is_superuser", "date_joined", "last_login")
    readonly_fields = ("date_joined", "last_login")

    def has_module_permission(self, request):
        return scoping.is_operator(request.user)

    def has_view_permission(self, request, obj=None):
        return scoping.is_operator(request.user)

    def has_change_permission(self, request, obj=None):
        return scoping.is_operator(request.user)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ("id", "tenant", "user", "role", "created_at")
    list_filter = ("role",)
    tenant_admin_can = ("change",)
    readonly_fields = ("tenant", "user", "created_at")


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "tenant", "user", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "key_hash"]

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request, queryset):
        for key in queryset:
            keys.revoke_key(key=key, actor=request.user)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)
