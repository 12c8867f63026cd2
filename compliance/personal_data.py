"""Compliance's declarations in the data map (governance.datamap)."""

from governance.datamap import ANONYMISE, Category, Retention, declare, exempt

from .models import DataSubjectRequest, ErasureSuppression, SaleOptOut

# The record is kept 24 months after its answer (CCPA 7101), without the e-mail once erased;
# open requests (no closed_at) never expire.
declare(
    DataSubjectRequest,
    category=Category.PRIVACY_REQUESTS,
    description="Your requests to us (kind, dates, outcome). The record is kept, without your e-mail, "
    "to show the request was answered (CCPA 7101: 24 months).",
    subject="subject_index",
    erasure=ANONYMISE,
    anonymise={"email": ""},
    export=lambda r: {
        "reference": r.reference,
        "kind": r.kind,
        "regime": r.regime,
        "status": r.status,
        "received_at": r.received_at.isoformat(),
    },
    retention=Retention(timestamp="closed_at"),
    content=("email",),
)

exempt(ErasureSuppression, reason="keeps an erased person erased (CCPA 7022): only the blind index")
exempt(SaleOptOut, reason="an opt-out must outlive erasure (CCPA 7026): only the blind index")
