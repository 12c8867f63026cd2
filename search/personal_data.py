"""Search's entries in the personal-data registry (governance.registry)."""

from governance import registry

from .models import SearchJob

registry.register(
    SearchJob,
    category="search_jobs",
    fields=("context", "description"),
    subject="created_by__email_index",
    stored_object="image",
    description="Image searches the person ran: the context they typed and the description of the image. "
    "Images themselves are deleted when each job ends.",
    export=lambda j: {
        "id": str(j.id),
        "status": j.status,
        "created_at": j.created_at.isoformat(),
        "context": j.context,
        "description": j.description,
    },
)

# Retention (governance.retention): what each rule deletes. Anonymising a job blanks what was
# typed and what the model said, and keeps the row (status, provider, timings) for the tenant.
from django.db.models import Q  # noqa: E402

from governance import retention  # noqa: E402
from governance.models import RetentionCategory  # noqa: E402

from .models import UsageEvent  # noqa: E402

retention.register_target(
    SearchJob,
    category=RetentionCategory.SEARCH_DESCRIPTION,
    timestamp_field="created_at",
    subject="created_by__email_index",
    anonymise={"context": "", "description": ""},
    anonymised=Q(context="", description=""),
    stored_object="image",
)
retention.register_target(UsageEvent, category=RetentionCategory.USAGE_EVENT, timestamp_field="created_at")
