from django.contrib import admin, messages

from . import api_keys
from .admin_base import ReadOnlyAdmin, TenantScopedAdmin
from .models import ApiKey, AuditEvent, IssuedLink, Membership, StoredObject, Tenant, User

admin.site.site_header = "Sightguard"
admin.site.site_title = "Sightguard"


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "face_blur", "retain_cleaned_images_days", "created_at")
    search_fields = ("slug", "name")

    def get_queryset(self, request):
        from . import scoping

        qs = super().get_queryset(request)
        return qs if scoping.is_operator(request.user) else qs.filter(pk__in=scoping.administered_tenant_ids(request.user))

    def has_module_permission(self, request):
        from . import scoping

        return scoping.is_operator(request.user) or bool(scoping.administered_tenant_ids(request.user))

    has_view_permission = lambda self, request, obj=None: self.has_module_permission(request)  # noqa: E731

    def has_change_permission(self, request, obj=None):
        from . import scoping

        if scoping.is_operator(request.user):
            return True
        return obj is None or obj.pk in scoping.administered_tenant_ids(request.user)

    def get_readonly_fields(self, request, obj=None):
        from . import scoping

        return () if scoping.is_operator(request.user) else ("slug",)

    def has_add_permission(self, request):
        from . import scoping

        return scoping.is_operator(request.user)

    has_delete_permission = lambda self, request, obj=None: False  # noqa: E731  (erase through compliance)


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("id", "is_staff", "is_superuser", "is_active", "date_joined")
    fields = ("email", "is_active", "is_staff", "is_superuser", "date_joined", "last_login")
    readonly_fields = ("date_joined", "last_login")

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    has_view_permission = lambda self, request, obj=None: self.has_module_permission(request)  # noqa: E731
    has_change_permission = has_view_permission
    has_add_permission = lambda self, request: False  # noqa: E731  (create_tenant / add_member)
    has_delete_permission = lambda self, request, obj=None: False  # noqa: E731


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

    def get_actions(self, request):
        # Revocation is a write: offered to whoever may see the keys (operator or the tenant's admin).
        return {
            "revoke": (ApiKeyAdmin.revoke, "revoke", "Revoke selected API keys"),
        } if self.has_view_permission(request) else {}

    def revoke(self, request, queryset):
        for key in queryset:
            api_keys.revoke_key(key=key, actor=request.user)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "tenant", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)
    exclude = ()


@admin.register(StoredObject)
class StoredObjectAdmin(ReadOnlyAdmin):
    list_display = ("key", "tenant", "purpose", "size", "created_at", "deadline", "deleted_at", "deleted_reason")
    list_filter = ("purpose", "deleted_reason")


@admin.register(IssuedLink)
class IssuedLinkAdmin(ReadOnlyAdmin):
    list_display = ("id", "object", "actor", "created_at", "expires_at")

from . import retention_admin  # noqa: E402,F401  (retention rules, legal holds, retention runs)
