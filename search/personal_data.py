"""Search's declarations in the data map (governance.datamap)."""

from django.db.models import Q

from governance.datamap import DELETE, Category, Retention, declare

from .models import SearchJob, SearchResult, UsageEvent

# Retention may anonymise a job instead: what was typed and what the model said are blanked, the
# row (status, provider, timings) stays for the tenant. The image goes with the job.
declare(
    SearchJob,
    category=Category.SEARCH_TEXT,
    description="Image searches the person ran: the context they typed and the description of the image. "
    "Images themselves are deleted when each job ends.",
    subject="created_by__email_index",
    erasure=DELETE,
    anonymise={"context": "", "description": ""},
    export=lambda j: {
        "id": str(j.id),
        "status": j.status,
        "created_at": j.created_at.isoformat(),
        "context": j.context,
        "description": j.description,
    },
    export_fields={"id": "id", "status": "status", "created_at": "created_at", "context": "context",
                   "description": "description"},
    retention=Retention(timestamp="created_at", anonymised=Q(context="", description="")),
    content={
        "context": Category.SEARCH_TEXT,
        "description": Category.SEARCH_TEXT,
        "image": Category.TRANSIENT_IMAGES,
        "retained_image": Category.RETAINED_IMAGES,
    },
    stored_object="image",
)

# A job's results show what its creator searched for. Documents are the tenant's content, not a
# person's: they are not in the map.
declare(
    SearchResult,
    category=Category.SEARCH_RESULTS,
    description="The documents an image search by the person matched, with their rank and score.",
    subject="job__created_by__email_index",
    erasure=DELETE,
    export=lambda r: {
        "job": str(r.job_id),
        "rank": r.rank,
        "score": r.score,
        "document_id": r.document_id,
        "document_title": r.document.title,
    },
    export_fields={"job": "job_id", "rank": "rank", "score": "score", "document_id": "document_id",
                   "document_title": "document__title"},
    retention=Retention(timestamp="created_at"),
)

declare(
    UsageEvent,
    category=Category.USAGE_EVENTS,
    description="That a search happened (tenant, time, provider, latency): never what was searched, nor by whom.",
    retention=Retention(timestamp="created_at"),
)
