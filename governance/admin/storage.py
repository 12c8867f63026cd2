"""Stored objects, issued links and sweeper runs: records only, never the objects' content."""

from django.contrib import admin

from governance.admin.base import OperatorOnlyAdmin, ReadOnlyAdmin
from governance.models import IssuedLink, StoredObject, SweepRun


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
class SweepRunAdmin(OperatorOnlyAdmin):
    """Platform housekeeping, no customer content: the operator's page. Non-zero counts stand out."""

    list_display = (
        "started_at", "needed_work", "expired_deleted", "orphans_deleted", "missing_closed", "noncurrent_deleted", "held_skipped", "finished_at"
    )
    list_filter = ("needed_work",)
    date_hierarchy = "started_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
