from django.contrib import admin

from governance.admin_base import ReadOnlyAdmin

from .models import SearchJob, UsageEvent


@admin.register(SearchJob)
class SearchJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "tenant", "status", "provider", "has_context", "error_code", "created_at", "finished_at")
    list_filter = ("status", "provider", "error_code")
    # Customer content: shown to the tenant, to support only under a live grant (governance.admin_base).
    content_fields = ("context", "description", "image")
    content_field_categories = {"image": "images"}


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "tenant", "provider", "used_context", "latency_ms", "outcome")
    list_filter = ("provider", "outcome", "used_context")


from . import admin_usage  # noqa: E402,F401  (the usage statistics page)
