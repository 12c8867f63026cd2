from . import registry
from .models import AccessRequest, ApiKey, Membership, User

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
