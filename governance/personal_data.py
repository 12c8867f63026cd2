"""Governance's declarations in the data map (governance.datamap)."""

from django.db.models import Q

from governance.datamap import ANONYMISE, BUCKET_OBJECT, DELETE, Category, Retention, Split, declare, exempt
from governance.models import (
    AccessRequest,
    ApiKey,
    AuditEvent,
    ConsentRecord,
    ConsentRevocation,
    KeyCanary,
    LegalHold,
    Membership,
    StoredObject,
    SupportStaff,
    Transfer,
    User,
)
from governance.storage import objectstore

declare(
    User,
    category=Category.ACCOUNT,
    description="Member accounts: the e-mail address (encrypted), sign-in and join dates.",
    subject="email_index",
    erasure=DELETE,
    export=lambda u: {"email": u.email, "date_joined": u.date_joined.isoformat(), "is_active": u.is_active},
    tenant_scoped=False,  # one account may belong to several tenants
)
declare(
    Membership,
    category=Category.ACCOUNT,
    description="Which tenants the member belongs to, and with which role.",
    subject="user__email_index",
    erasure=DELETE,
    export=lambda m: {"tenant": m.tenant.slug, "role": m.role, "since": m.created_at.isoformat()},
)
declare(
    ApiKey,
    category=Category.ACCOUNT,
    description="API keys issued to the member (only a public prefix is stored, never the key).",
    subject="user__email_index",
    erasure=DELETE,
    export=lambda k: {"prefix": k.prefix, "created_at": k.created_at.isoformat(), "revoked": bool(k.revoked_at)},
)

# Consent evidence is kept (it shows the tenant agreed); erasure only removes who acted.
declare(
    ConsentRecord,
    category=Category.CONSENT_EVIDENCE,
    description="Generative-AI terms you accepted for your organisation: version and time.",
    subject="accepted_by__email_index",
    erasure=ANONYMISE,
    anonymise={"accepted_by": None},
    export=lambda r: {"tenant": r.tenant.slug, "version": r.terms.version, "accepted_at": r.accepted_at.isoformat()},
)
declare(
    ConsentRevocation,
    category=Category.CONSENT_EVIDENCE,
    description="Consents you revoked for your organisation: version and time.",
    subject="revoked_by__email_index",
    erasure=ANONYMISE,
    anonymise={"revoked_by": None},
    export=lambda r: {"tenant": r.tenant.slug, "version": r.record.terms.version, "revoked_at": r.revoked_at.isoformat()},
)

# The record stays, without the free text, for the tenant's access-transparency log. Retention counts
# from when the request's life ended (denied, revoked, expired): a pending or live one never expires.
declare(
    AccessRequest,
    category=Category.SUPPORT_ACCESS,
    description="Support access requests a support engineer opened (ticket, reason, scope, decision). The record "
    "stays, without the free text, for the tenant's access-transparency log.",
    subject="requester__email_index",
    erasure=ANONYMISE,
    anonymise={"reason_text": "", "decision_comment": ""},
    export=lambda r: {
        "id": r.pk,
        "tenant": r.tenant.slug,
        "ticket": r.ticket,
        "status": r.status,
        "created_at": r.created_at.isoformat(),
        "reason_text": r.reason_text,
    },
    retention=Retention(
        timestamp="ended_at",
        filter=Q(status__in=[AccessRequest.Status.DENIED, AccessRequest.Status.REVOKED, AccessRequest.Status.EXPIRED]),
    ),
)


# Which sub-processor received a search's image, when and under which terms (GDPR Art. 15(1)(c),
# 17(2), 19): the record stays for the tenant; erasure blanks whose search it was.
declare(
    Transfer,
    category=Category.USAGE_EVENTS,
    description="Sub-processors your searches' images were sent to: which company, when, how many bytes, "
    "under which terms version. Never the image itself.",
    subject="subject_index",
    erasure=ANONYMISE,
    anonymise={"subject_index": ""},
    export_fields={"subprocessor": "subprocessor", "sent_at": "created_at", "bytes": "bytes_sent",
                   "endpoint": "endpoint", "terms_version": "terms__version", "job": "job_id"},
    retention=Retention(timestamp="created_at"),
)


# Bucket objects: one model, split by purpose into three categories. Erasure deletes the bytes
# (compliance.erasure's object step) and keeps the closed record without the blind index; retention
# deletes through the object store, which deletes the bytes and closes the record.
def _delete_stored_objects(declaration, ids, action) -> int:
    return objectstore.delete(list(StoredObject.objects.filter(pk__in=ids)), reason="retention")


def _export_object(o) -> dict:
    return {
        "id": str(o.pk),
        "purpose": o.purpose,
        "created_at": o.created_at.isoformat(),
        "deleted_at": o.deleted_at.isoformat() if o.deleted_at else None,
    }


Purpose = StoredObject.Purpose
for _category, _purposes, _description in (
    (Category.TRANSIENT_IMAGES, (Purpose.TRANSIENT_IMAGE, Purpose.SUPPORT_VIEW),
     "Images uploaded for a search (deleted when the job ends) and short-lived copies shown to support."),
    (Category.RETAINED_IMAGES, (Purpose.RETAINED_IMAGE,),
     "Cleaned search images kept for you. The files are not in this archive; only one-hour links reach them."),
    (Category.EXPORT_ARCHIVES, (Purpose.EXPORT_ARCHIVE,),
     "Your earlier exports: when, and when deleted."),
    (Category.AUDIT_EVENTS, (Purpose.AUDIT_CHECKPOINT,),
     "Copies of the audit logs' signed checkpoints (no person)."),
):
    declare(
        StoredObject,
        category=_category,
        description=_description,
        split=Split("purpose", tuple(str(p) for p in _purposes)),
        subject="subject_index",
        erasure=ANONYMISE,
        anonymise={"subject_index": ""},
        export=_export_object,
        retention=Retention(timestamp="created_at", filter=Q(deleted_at__isnull=True), handler=_delete_stored_objects),
        # support may be granted sight of people's images and archives, never of the logs' checkpoints
        content=() if _category == Category.AUDIT_EVENTS else (BUCKET_OBJECT,),
    )

# Retention prunes each log only as a whole sealed prefix, announced in a signed checkpoint
# (governance.audit.prune, called from governance.retention.enforce).
declare(
    AuditEvent,
    category=Category.AUDIT_EVENTS,
    description="The audit log: actor, action, target and non-personal metadata.",
    retention=Retention(timestamp="created_at"),
)

exempt(LegalHold, reason="a legal hold is what stops erasure; it is released, not erased")
exempt(KeyCanary, reason="the encryption canary: a fixed value, no person")
exempt(SupportStaff, reason="a staff role: deleted with the account (CASCADE from the user)")
