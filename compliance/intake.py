"""Intake of data-subject requests without an account: filing, e-mail verification, expiry, re-issue.

The public form and the public API both call file_public(); the single-use verification link lives
24 hours (only a hash of its nonce is stored). A CCPA opt-out needs no verification: it is in
force when filed.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from governance import audit
from governance.crypto import secret_hash
from governance.errors import SightguardError
from governance.models import Tenant

from . import mail, opt_out
from .models import DataSubjectRequest
from .requests import file_request, set_status

Kind, Status = DataSubjectRequest.Kind, DataSubjectRequest.Status
PUBLIC_KINDS = (Kind.ERASURE, Kind.ACCESS, Kind.PORTABILITY, Kind.OPT_OUT)
VERIFY_SALT = "sightguard.compliance.verify"
VERIFY_SECONDS = 24 * 3600
MAX_EMAIL_LENGTH = 254


# Where the person lives decides the law their request is answered under. Outside the EU/EEA/UK
# and California we answer as the GDPR requires: the stricter deadlines and the wider rights.
RESIDENCES = {
    "eu": DataSubjectRequest.Regime.GDPR,
    "california": DataSubjectRequest.Regime.CCPA,
    "elsewhere": DataSubjectRequest.Regime.GDPR,
}


def tenant_for(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug or "").first()
    # A tenant whose slug is no URL slug has no public pages (no status or verification link can
    # name it): refused here as unknown, before anything is stored.
    if tenant is None or not _routable(tenant.slug):
        raise SightguardError("There is no organisation with that name here.", code="tenant_unknown", status=404)
    return tenant


def _routable(slug: str) -> bool:
    try:
        validate_slug(slug)
    except ValidationError:
        return False
    return True


def regime_for(residence: str) -> str:
    if residence not in RESIDENCES:
        raise SightguardError("Tell us where you live.", code="invalid_residence")
    return RESIDENCES[residence]


def problems(*, kind: str, regime: str, email: str) -> dict[str, SightguardError]:
    """Every refusal of a public request, by field (the form shows each on its field)."""
    found = {}
    if kind not in PUBLIC_KINDS:
        found["kind"] = SightguardError("kind must be one of erasure, access, portability, opt_out.", code="invalid_kind")
    if regime not in DataSubjectRequest.Regime.values:
        found["regime"] = SightguardError("regime must be gdpr or ccpa.", code="invalid_regime")
    email = (email or "").strip()
    try:
        if len(email) > MAX_EMAIL_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        found["email"] = SightguardError("Give a valid e-mail address.", code="invalid_email")
    return found


def check(*, kind: str, regime: str, email: str) -> str:
    """Validate a public request; returns the normalised e-mail. Refusals carry stable codes."""
    for problem in problems(kind=kind, regime=regime, email=email).values():
        raise problem
    return email.strip()


def file_public(*, tenant_slug: str, kind: str, regime: str, email: str, source: str) -> DataSubjectRequest:
    """File a request from the public form or API; sends the verification (or opt-out) e-mail."""
    tenant = tenant_for(tenant_slug)
    email = check(kind=kind, regime=regime, email=email)
    return file(tenant=tenant, kind=kind, regime=regime, email=email, source=source)


def file(*, tenant, kind: str, regime: str, email: str, source: str, verified: bool = False) -> DataSubjectRequest:
    """File a request from any channel (form, API, DRP, OpenDSR, GPC). Opt-outs and opt-ins take
    effect at once; a verified request goes to review; otherwise the subject gets the verification e-mail."""
    if kind in (Kind.OPT_OUT, Kind.OPT_IN):
        return _sale_choice(tenant=tenant, kind=kind, regime=regime, email=email, source=source)
    with transaction.atomic():
        request = file_request(tenant=tenant, kind=kind, regime=regime, email=email, source=source, verified=verified)
        # Sending the verification e-mail, or the protocol's answer, confirms receipt (CCPA 7021(a)).
        DataSubjectRequest.objects.filter(pk=request.pk).update(acknowledged_at=timezone.now())
        if not verified:
            link = _new_link(request, purpose="verify")
            # Composed inside the transaction: whatever it cannot build undoes the filing.
            message = mail.verification_message(request=request, to=email, link=link)
            transaction.on_commit(lambda: mail.send(message))
    request.refresh_from_db()
    return request


def _sale_choice(*, tenant, kind, regime, email, source) -> DataSubjectRequest:
    with transaction.atomic():
        request = file_request(tenant=tenant, kind=kind, regime=regime, email=email, source=source, verified=True)
        if kind == Kind.OPT_OUT:
            opt_out.apply(tenant=tenant, subject_index=request.subject_index, source=source)
            message = mail.opt_out_confirmed_message(request=request, to=email)
            transaction.on_commit(lambda: mail.send(message))
        else:
            opt_out.withdraw(tenant=tenant, subject_index=request.subject_index, source=source)
        set_status(request=request, status=Status.FULFILLED, actor="system", acknowledged_at=timezone.now())
    return request


def _new_link(request: DataSubjectRequest, *, purpose: str) -> str:
    nonce = secrets.token_urlsafe(24)
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        verify_nonce_hash=secret_hash(nonce), verify_expires_at=timezone.now() + timedelta(seconds=VERIFY_SECONDS)
    )
    token = signing.dumps({"r": str(request.pk), "n": nonce, "p": purpose}, salt=VERIFY_SALT, compress=True)
    return settings.SITE_URL + reverse("privacy-verify", args=[token])


def verify(*, token: str) -> DataSubjectRequest:
    """Redeem a verification link once. verify: the request goes to review; reissue: a new export link."""
    try:
        payload = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_SECONDS)
    except signing.SignatureExpired:
        raise SightguardError("This link has expired.", code="verification_expired", status=410) from None
    except signing.BadSignature:
        raise SightguardError("This link is not valid.", code="verification_invalid", status=404) from None
    request = DataSubjectRequest.objects.select_related("tenant").filter(pk=payload.get("r")).first()
    if request is None:
        raise SightguardError("This link is not valid.", code="verification_invalid", status=404)
    with transaction.atomic():
        used = DataSubjectRequest.objects.filter(
            pk=request.pk, verify_nonce_hash=secret_hash(payload.get("n", "")), verify_expires_at__gt=timezone.now()
        ).update(verify_nonce_hash="", verify_expires_at=None)
        if not used:
            raise SightguardError("This link was used already or has expired.", code="verification_used", status=410)
        if payload.get("p") == "reissue":
            audit.record(action="privacy_request.reissue_verified", actor="subject", tenant=request.tenant_id, target=request)
            from . import tasks

            transaction.on_commit(lambda: tasks.reissue_export.delay(str(request.pk)))
        else:
            if not set_status(request=request, status=Status.OPEN, actor="subject", verified_at=timezone.now()):
                raise SightguardError("This request is closed.", code="request_closed", status=409)
    request.refresh_from_db()
    return request


def resend_verification(*, reference: str) -> DataSubjectRequest:
    """The verification e-mail again, with a fresh link (the earlier one stops working). The request
    still lapses 24 hours after it was filed."""
    request = DataSubjectRequest.objects.select_related("tenant").filter(reference=reference or "").first()
    if request is None:
        raise SightguardError("Not found.", code="not_found", status=404)
    if request.status != Status.PENDING_VERIFICATION or not request.email:
        raise SightguardError("This request needs no confirmation.", code="verification_not_pending", status=409)
    with transaction.atomic():
        link = _new_link(request, purpose="verify")
        audit.record(action="privacy_request.verification_resent", actor="subject", tenant=request.tenant_id,
                     target=request)
        message = mail.verification_message(request=request, to=request.email, link=link)
        transaction.on_commit(lambda: mail.send(message))
    return request


def request_reissue(*, reference: str) -> DataSubjectRequest:
    """Ask for a new export link: a fresh verification e-mail to the address on the request."""
    request = DataSubjectRequest.objects.select_related("tenant").filter(reference=reference or "").first()
    if request is None:
        raise SightguardError("Not found.", code="not_found", status=404)
    if request.kind not in (Kind.ACCESS, Kind.PORTABILITY) or request.status != Status.FULFILLED or not request.email:
        raise SightguardError("Only a fulfilled export can be sent again.", code="reissue_not_possible", status=409)
    with transaction.atomic():
        link = _new_link(request, purpose="reissue")
        audit.record(action="privacy_request.reissue_asked", actor="subject", tenant=request.tenant_id, target=request)
        email = request.email
        transaction.on_commit(lambda: mail.verification(request=request, to=email, link=link))
    return request


def expire_unverified(*, now=None) -> int:
    """Requests not verified within 24 hours expire (daily task); returns how many."""
    now = now or timezone.now()
    stale = DataSubjectRequest.objects.filter(
        status=Status.PENDING_VERIFICATION, received_at__lt=now - timedelta(seconds=VERIFY_SECONDS)
    )
    count = 0
    for request in stale.iterator(chunk_size=500):
        count += set_status(request=request, status=Status.EXPIRED, actor="system", verify_nonce_hash="")
    return count
