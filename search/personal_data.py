"""Search's entries in the personal-data registry (governance.datamap.registry)."""

from governance.datamap import registry

from .models import SearchJob, SearchResult

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
    export_fields={"id": "id", "status": "status", "created_at": "created_at", "context": "context",
                   "description": "description"},
)

# Documents are the tenant's content, not a person's: they are not in the registry. A job's results
# are: they show what its creator searched for.
registry.register(
    SearchResult,
    category="search_results",
    fields=("document", "rank", "score"),
    subject="job__created_by__email_index",
    description="The documents an image search by the person matched, with their rank and score.",
    export=lambda r: {
        "job": str(r.job_id),
        "rank": r.rank,
        "score": r.score,
        "document_id": r.document_id,
        "document_title": r.document.title,
    },
    export_fields={"job": "job_id", "rank": "rank", "score": "score", "document_id": "document_id",
                   "document_title": "document__title"},
)

# Retention (governance.retention): what each rule deletes. Anonymising a job blanks what was
# typed and what the model said, and keeps the row (status, provider, timings) for the tenant.
from django.db.models import Q  # noqa: E402

from governance.models import RetentionCategory  # noqa: E402
from governance.retention import rules

from .models import UsageEvent  # noqa: E402

rules.register_target(
    SearchJob,
    category=RetentionCategory.SEARCH_DESCRIPTION,
    timestamp_field="created_at",
    subject="created_by__email_index",
    anonymise={"context": "", "description": ""},
    anonymised=Q(context="", description=""),
    stored_object="image",
)
rules.register_target(UsageEvent, category=RetentionCategory.USAGE_EVENT, timestamp_field="created_at")
rules.register_target(SearchResult, category=RetentionCategory.SEARCH_RESULT, timestamp_field="created_at")
