from django.contrib import admin

from governance.admin.base import ReadOnlyAdmin, TenantScopedAdmin

from .documents import add_document, remove_document
from .models import Document, SearchJob, UsageEvent


@admin.register(SearchJob)
class SearchJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "tenant", "status", "provider", "has_context", "error_code", "created_at", "finished_at")
    list_filter = ("status", "provider", "error_code")
    # Customer content (declared in search/personal_data.py): shown to the tenant, to support only
    # under a live grant (governance.admin.base).
    content_fields = ("context", "description", "image", "retained_image")


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "tenant", "provider", "used_context", "latency_ms", "outcome")
    list_filter = ("provider", "outcome", "used_context")


@admin.register(Document)
class DocumentAdmin(TenantScopedAdmin):
    """A tenant's documents: its admins add and remove them. The operator manages the platform,
    not customers' content, and sees none of it."""

    operator_can = ()
    tenant_admin_can = ("view", "add", "delete")
    list_display = ("title", "external_id", "tenant", "created_at")
    search_fields = ("title", "external_id")
    fields = ("tenant", "title", "text", "external_id")

    def save_model(self, request, obj, form, change):
        if change:  # tenant_admin_can holds no "change": documents are replaced, not edited
            raise PermissionError("documents are not edited in place")
        document = add_document(
            tenant=obj.tenant, actor=request.user, title=obj.title, text=obj.text, external_id=obj.external_id
        )
        obj.pk = document.pk

    def delete_model(self, request, obj):
        remove_document(document=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for document in queryset:
            remove_document(document=document, actor=request.user)


from . import admin_usage  # noqa: E402,F401  (the usage statistics page)
