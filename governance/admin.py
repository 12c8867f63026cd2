from django.contrib import admin, messages

from . import api_keys, scoping
from .admin_base import ReadOnlyAdmin, TenantScopedAdmin
from .models import ApiKey, AuditEvent, IssuedLink, Membership, StoredObject, SweepRun, Tenant, User

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
    # The object's bytes (an image, an export archive) are content: a one-hour link, under the rules.
    content_fields = ("download",)

    def content_download(self, obj, request, access):
        return self.stored_object_link(obj, request, access)


@admin.register(IssuedLink)
class IssuedLinkAdmin(ReadOnlyAdmin):
    list_display = ("id", "object", "actor", "created_at", "expires_at")


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    """Platform housekeeping, no customer content: the operator's page. Non-zero counts stand out."""

    list_display = (
        "started_at", "needed_work", "expired_deleted", "orphans_deleted", "missing_closed", "held_skipped", "finished_at"
    )
    list_filter = ("needed_work",)
    date_hierarchy = "started_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_module_permission(self, request):
        from . import scoping

        return scoping.is_operator(request.user)

    has_view_permission = lambda self, request, obj=None: self.has_module_permission(request)  # noqa: E731
    has_add_permission = lambda self, request: False  # noqa: E731
    has_change_permission = lambda self, request, obj=None: False  # noqa: E731
    has_delete_permission = lambda self, request, obj=None: False  # noqa: E731


from . import retention_admin  # noqa: E402,F401  (retention rules, legal holds, retention runs)


from . import admin_support  # noqa: E402,F401  (support access requests and the transparency page)


from . import admin_consent  # noqa: E402,F401  (terms versions and the consent page)
