"""A tenant's document collection: what image searches are matched against."""

from django.db import IntegrityError, transaction

from governance import audit
from governance.errors import SightguardError
from governance.models import Tenant

from .models import Document

MAX_TITLE_CHARS = 300
MAX_TEXT_CHARS = 200_000


def add_document(*, tenant: Tenant, actor, title: str, text: str, external_id: str = "") -> Document:
    """Add one document to the tenant's collection; an external id is unique within the tenant."""
    try:
        with transaction.atomic():
            document = Document.objects.create(tenant=tenant, title=title, text=text, external_id=external_id)
            audit.record(action="document.added", actor=actor, tenant=tenant, target=document)
    except IntegrityError:
        raise SightguardError(
            "A document with this external id exists already.", code="document_exists", status=409
        ) from None
    return document


def remove_document(*, document: Document, actor) -> None:
    """Remove a document; search results that pointed at it go with it."""
    with transaction.atomic():
        audit.record(action="document.removed", actor=actor, tenant=document.tenant_id, target=document)
        document.delete()
