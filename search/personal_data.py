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
