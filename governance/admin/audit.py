"""The audit log, read-only, scoped to the tenants a user administers."""

from django.contrib import admin

from governance.admin.base import ReadOnlyAdmin
from governance.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "tenant", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)
    exclude = ()
