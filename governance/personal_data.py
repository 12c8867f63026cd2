from . import registry
from .models import ApiKey, Membership, User

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

# Consent evidence is kept (it shows the tenant agreed); erasure only removes who acted.
from .models import ConsentRecord, ConsentRevocation  # noqa: E402

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
