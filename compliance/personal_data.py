"""Compliance's entries in the personal-data registry (governance.datamap.registry)."""

from governance.datamap import registry

from .models import DataSubjectRequest

registry.register(
    DataSubjectRequest,
    category="privacy_requests",
    fields=("email",),
    subject="subject_index",
    erasure=registry.ANONYMISE,
    anonymise={"email": ""},
    description="Your requests to us (kind, dates, outcome). The record is kept, without your e-mail, "
    "to show the request was answered (CCPA 7101: 24 months).",
    export=lambda r: {
        "reference": r.reference,
        "kind": r.kind,
        "regime": r.regime,
        "status": r.status,
        "received_at": r.received_at.isoformat(),
    },
)

# Retention (governance.retention): a request record is kept 24 months after its answer
# (CCPA 7101); open requests (no closed_at) never expire.
from governance.models import RetentionCategory  # noqa: E402
from governance.retention import rules

rules.register_target(
    DataSubjectRequest,
    category=RetentionCategory.REQUEST_RECORD,
    timestamp_field="closed_at",
    subject="subject_index",
)
