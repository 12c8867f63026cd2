from governance.datamap import registry
from governance.models import AccessRequest, ApiKey, Membership, User

registry.register(
    User,
    category="account",
    fields=("email",),
    subject="email_index",
    erasure=registry.DELETE,
    description="Member accounts: the e-mail address (encrypted), sign-in and join dates.",
    export=lambda u: {"email": u.email, "date_joined": u.date_joined.isoformat(), "is_active": u.is_active},
)
registry.register(
    Membership,
    category="account",
    fields=(),
    subject="user__email_index",
    description="Which tenants the member belongs to, and with which role.",
    export=lambda m: {"tenant": m.tenant.slug, "role": m.role, "since": m.created_at.isoformat()},
)
registry.register(
    ApiKey,
    category="account",
    fields=(),
    subject="user__email_index",
    description="API keys issued to the member (only a public prefix is stored, never the key).",
    export=lambda k: {"prefix": k.prefix, "created_at": k.created_at.isoformat(), "revoked": bool(k.revoked_at)},
)

# Retention targets of governance itself (governance.retention). Bucket objects go through the
# object store, which deletes the bytes and closes the record; the audit log is pruned only as a
# prefix of its hash chain (enforce._prune_audit).
from django.db.models import Q  # noqa: E402

from governance.models import AuditEvent, RetentionCategory, StoredObject  # noqa: E402
from governance.retention import rules
from governance.storage import objectstore


def _delete_stored_objects(target, ids, action) -> int:
    return objectstore.delete(list(StoredObject.objects.filter(pk__in=ids)), reason="retention")


for _purpose, _category in (
    (StoredObject.Purpose.TRANSIENT_IMAGE, RetentionCategory.TRANSIENT_IMAGE),
    (StoredObject.Purpose.RETAINED_IMAGE, RetentionCategory.RETAINED_IMAGE),
    (StoredObject.Purpose.EXPORT_ARCHIVE, RetentionCategory.EXPORT_ARCHIVE),
):
    rules.register_target(
        StoredObject,
        category=_category,
        timestamp_field="created_at",
        subject="subject_index",
        filter=Q(purpose=_purpose, deleted_at__isnull=True),
        handler=_delete_stored_objects,
    )
rules.register_target(AuditEvent, category=RetentionCategory.AUDIT_EVENT, timestamp_field="created_at")

registry.register(
    AccessRequest,
    category="support_access",
    fields=("reason_text", "decision_comment"),
    subject="requester__email_index",
    erasure=registry.ANONYMISE,
    anonymise={"reason_text": "", "decision_comment": ""},
    description="Support access requests a support engineer opened (ticket, reason, scope, decision). The record "
    "stays, without the free text, for the tenant's access-transparency log.",
    export=lambda r: {
        "id": r.pk,
        "tenant": r.tenant.slug,
        "ticket": r.ticket,
        "status": r.status,
        "created_at": r.created_at.isoformat(),
        "reason_text": r.reason_text,
    },
)

# Consent evidence is kept (it shows the tenant agreed); erasure only removes who acted.
from governance.models import ConsentRecord, ConsentRevocation  # noqa: E402

registry.register(
    ConsentRecord,
    category="consent_evidence",
    fields=(),
    subject="accepted_by__email_index",
    erasure=registry.ANONYMISE,
    anonymise={"accepted_by": None},
    description="Generative-AI terms you accepted for your organisation: version and time.",
    export=lambda r: {"tenant": r.tenant.slug, "version": r.terms.version, "accepted_at": r.accepted_at.isoformat()},
)
registry.register(
    ConsentRevocation,
    category="consent_evidence",
    fields=(),
    subject="revoked_by__email_index",
    erasure=registry.ANONYMISE,
    anonymise={"revoked_by": None},
    description="Consents you revoked for your organisation: version and time.",
    export=lambda r: {"tenant": r.tenant.slug, "version": r.record.terms.version, "revoked_at": r.revoked_at.isoformat()},
)

# Bucket objects recorded with a subject's blind index (retained images, exports). Erasure deletes
# the bytes (compliance.erasure's object step) and keeps the closed record without the index.
registry.register(
    StoredObject,
    category="stored_objects",
    fields=(),
    subject="subject_index",
    erasure=registry.ANONYMISE,
    anonymise={"subject_index": ""},
    description="Files kept for you (retained search images, your exports): what, when, and when deleted. "
    "The files themselves are not in this archive; they are reachable only through one-hour links.",
    export=lambda o: {
        "id": str(o.pk),
        "purpose": o.purpose,
        "created_at": o.created_at.isoformat(),
        "deleted_at": o.deleted_at.isoformat() if o.deleted_at else None,
    },
)
