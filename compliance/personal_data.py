"""Compliance's entries in the personal-data registry (governance.registry)."""

from governance import registry

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
