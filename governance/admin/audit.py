"""The audit log, read-only, scoped to the tenants a user administers."""

from django.contrib import admin

from governance.admin.base import ReadOnlyAdmin
from governance.admin.humane import people_by_label
from governance.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "tenant", "who", "action", "target_type", "target_id")
    list_filter = ("action",)
    exclude = ()

    @admin.display(description="who", ordering="actor")
    def who(self, obj):
        return getattr(obj, "_who", obj.actor)

    def get_changelist_instance(self, request):
        cl = super().get_changelist_instance(request)
        people = people_by_label({e.actor for e in cl.result_list})  # one query for the page's people
        for event in cl.result_list:
            event._who = people.get(event.actor, event.actor)
        return cl
