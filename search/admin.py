from django.contrib import admin

from governance import scoping
from governance.admin_base import ReadOnlyAdmin

from .models import SearchJob, UsageEvent

CONTENT_FIELDS = ("context", "description")


@admin.register(SearchJob)
class SearchJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "tenant", "status", "provider", "has_context", "error_code", "created_at", "finished_at")
    list_filter = ("status", "provider", "error_code")

    def get_exclude(self, request, obj=None):
        # The operator manages the platform, not customers' content.
        return CONTENT_FIELDS if scoping.is_operator(request.user) else ()

    def get_readonly_fields(self, request, obj=None):
        excluded = self.get_exclude(request, obj)
        return [f.name for f in self.model._meta.fields if f.name not in excluded]


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "tenant", "provider", "used_context", "latency_ms", "outcome")
    list_filter = ("provider", "outcome", "used_context")


from . import admin_usage  # noqa: E402,F401  (the usage statistics page)
