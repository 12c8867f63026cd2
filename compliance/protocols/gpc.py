"""Global Privacy Control: `Sec-GPC: 1` from a known subject is a CCPA opt-out of sale/sharing
(CCPA regs 7025). It is filed once per (tenant, subject), like any opt-out, through
compliance.intake.file: a verified opt_out request (source gpc), in force at once as a SaleOptOut.

Two ways in: every API call of a member (GpcApiKeyAuthentication, the project's DRF authentication,
runs once per request) and the data-subject pages, which call honour_signal(request, tenant=, email=).
"""

from compliance.models import DataSubjectRequest, SaleOptOut
from governance.api.authentication import (
    ApiKeyAuthentication,
    ApiKeyAuthenticationScheme,
)
from governance.crypto import blind_index


def signal_present(http_request) -> bool:
    """Sec-GPC: 1 (the spec's only valid value; anything else is no signal)."""
    meta = getattr(http_request, "META", None) or {}
    return meta.get("HTTP_SEC_GPC", "").strip() == "1"


def honour_signal(http_request, *, tenant, email: str) -> SaleOptOut | None:
    """Record the subject's opt-out when the request carries the signal; idempotent. Returns the record."""
    if not signal_present(http_request) or not email:
        return None
    return record_opt_out(tenant=tenant, subject_index=blind_index(email), email=lambda: email)


def record_opt_out(*, tenant, subject_index: str, email) -> SaleOptOut:
    """The one opt-out of this subject at this tenant; `email` is a callable, only called the first time."""
    existing = SaleOptOut.objects.filter(tenant=tenant, subject_index=subject_index).first()
    if existing is not None:
        return existing
    from .. import (
        intake,  # not at import time: DRF loads this module while governance.errors is importing DRF
    )

    intake.file(
        tenant=tenant,
        kind=DataSubjectRequest.Kind.OPT_OUT,
        regime=DataSubjectRequest.Regime.CCPA,
        email=email(),
        source=DataSubjectRequest.Source.GPC,
    )
    return SaleOptOut.objects.get(tenant=tenant, subject_index=subject_index)


class GpcApiKeyAuthentication(ApiKeyAuthentication):
    """The API's authentication, plus: a member's call carrying Sec-GPC: 1 records their opt-out."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and signal_present(request):
            user = result[0]
            record_opt_out(tenant=request.tenant, subject_index=user.email_index, email=lambda: user.email)
        return result


class GpcApiKeyAuthenticationScheme(ApiKeyAuthenticationScheme):
    """The OpenAPI schema describes it as the API key it is."""

    target_class = GpcApiKeyAuthentication
