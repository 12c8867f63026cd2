"""Data Rights Protocol 1.0, as a covered business (Consumer Reports' data-rights-protocol.md).

Agents pair (POST /v1/agent/{id}) with a message signed by the key the operator registered, get a
bearer token bound to that registration (so to one tenant), then file, read and revoke requests.
Signed messages are checked in the spec's order (3.07): decodes, signature by the token's agent,
agent-id, business-id, issued-at <= now, now < expires-at; then we refuse replays of the same
bytes. Requests land in compliance.requests.file_request like the form's.
"""

import hashlib
import json
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.models import (
    DataSubjectRequest,
    DrpAgent,
    DrpRequest,
    DrpToken,
    SeenMessage,
)
from governance import audit
from governance.crypto import bearer_token, secret_hash

from .. import intake, mail
from .. import requests as dsr_requests
from . import callbacks, signatures, timestamps
from .errors import DrpError, PairingRefused

SUPPORTED_VERSIONS = ("1.0", "0.9.4", "0.9.3")
# The spec's table writes sale:opt_out, its examples sale:opt-out: both are accepted.
EXERCISES = {
    "deletion": DataSubjectRequest.Kind.ERASURE,
    "access": DataSubjectRequest.Kind.ACCESS,
    "sale:opt-out": DataSubjectRequest.Kind.OPT_OUT,
    "sale:opt_out": DataSubjectRequest.Kind.OPT_OUT,
    "sale:opt-in": DataSubjectRequest.Kind.OPT_IN,
    "sale:opt_in": DataSubjectRequest.Kind.OPT_IN,
}
NO_VERIFICATION_NEEDED = {DataSubjectRequest.Kind.OPT_OUT, DataSubjectRequest.Kind.OPT_IN}  # CCPA 7026
DENIAL_REASONS = {
    "suspected_fraud",
    "insuf_verification",
    "no_match",
    "claim_not_covered",
    "outside_jurisdiction",
    "too_many_requests",
    "other",
}
# Clock skew we forgive on issued-at (an agent's clock a little ahead of ours).
ISSUED_AT_LEEWAY = timedelta(seconds=60)


# --- signed messages ------------------------------------------------------------------------------


def _open(body: bytes, *, verify_key: str) -> tuple[dict, bytes]:
    """Claims and the raw signed bytes, or DrpError: decodes, then the signature."""
    try:
        signature, message = signatures.split_signed(body)
    except signatures.BadEncoding:
        raise DrpError("The request body is not a base64 signed message.", code="drp_not_signed", fatal=True) from None
    try:
        signatures.verify_ed25519(signature=signature, message=message, verify_key_b64=verify_key)
    except signatures.BadSignature:
        raise DrpError(
            "The signature does not verify with this agent's key.", code="drp_bad_signature", status=403, fatal=True
        ) from None
    try:
        claims = json.loads(message)
    except (UnicodeDecodeError, ValueError):
        raise DrpError("The signed message is not JSON.", code="drp_not_json", fatal=True) from None
    if not isinstance(claims, dict):
        raise DrpError("The signed message is not a JSON object.", code="drp_not_json", fatal=True)
    return claims, signature


def _check_claims(claims: dict, agent: DrpAgent, *, required: bool = True):
    """3.07 after the signature: agent-id, business-id, issued-at, expires-at. Returns expires-at."""
    now = timezone.now()
    for name in ("agent-id", "business-id", "issued-at", "expires-at"):
        if name not in claims and required:
            raise DrpError(f"The claim {name} is required.", code="drp_claim_missing", fatal=True)
    if "agent-id" in claims and claims["agent-id"] != agent.agent_id:
        raise DrpError("agent-id is not the agent of this token.", code="drp_wrong_agent", status=403, fatal=True)
    if "business-id" in claims and claims["business-id"] != agent.business_id:
        raise DrpError("business-id is not this covered business.", code="drp_wrong_business", status=403, fatal=True)
    issued_at = timestamps.parse(claims.get("issued-at")) if "issued-at" in claims else None
    expires_at = timestamps.parse(claims.get("expires-at")) if "expires-at" in claims else None
    if ("issued-at" in claims and issued_at is None) or ("expires-at" in claims and expires_at is None):
        raise DrpError("issued-at and expires-at must be ISO 8601 timestamps.", code="drp_bad_timestamp", fatal=True)
    if issued_at is not None and now + ISSUED_AT_LEEWAY < issued_at:
        raise DrpError("issued-at is in the future.", code="drp_not_yet_valid", fatal=True)
    if expires_at is not None and now >= expires_at:
        raise DrpError("The request has expired (expires-at is past).", code="drp_expired", fatal=True)
    return expires_at


def _remember(signature: bytes, expires_at) -> None:
    """Refuse the same signed message twice (kept until it expires anyway). Call inside atomic()."""
    now = timezone.now()
    SeenMessage.objects.filter(expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            SeenMessage.objects.create(
                digest=hashlib.sha256(signature).hexdigest(), expires_at=expires_at or now + timedelta(days=1)
            )
    except IntegrityError:
        raise DrpError(
            "This signed message was already received.", code="drp_replayed", status=409, fatal=True
        ) from None


# --- pairing and tokens ---------------------------------------------------------------------------


def pair(*, agent_id: str, body: bytes) -> tuple[DrpAgent, str]:
    """POST /v1/agent/{agent-id}: a fresh bearer token for the registration the message is signed for."""
    candidates = list(DrpAgent.objects.filter(agent_id=agent_id, active=True))
    for agent in candidates:
        try:
            claims, signature = _open(body, verify_key=agent.verify_key)
        except DrpError:
            continue
        if claims.get("business-id") != agent.business_id:
            continue
        try:
            if claims.get("agent-id") != agent_id or claims.get("drp.version", "1.0") not in SUPPORTED_VERSIONS:
                raise PairingRefused()
            with transaction.atomic():
                expires_at = _check_claims(claims, agent)
                _remember(signature, expires_at)
                token = secrets.token_urlsafe(32)
                now = timezone.now()
                DrpToken.objects.filter(agent=agent, revoked_at__isnull=True).update(revoked_at=now)
                DrpToken.objects.create(agent=agent, token_hash=secret_hash(token), created_at=now)
                audit.record(
                    action="drp.agent_paired", actor=f"drp-agent:{agent.pk}", tenant=agent.tenant_id, target=agent
                )
            return agent, token
        except DrpError:
            raise PairingRefused() from None
    raise PairingRefused()


def agent_for_token(authorization: str) -> DrpAgent:
    raw = bearer_token(authorization)
    if not raw:
        raise DrpError("A bearer token is required.", code="drp_token_missing", status=403)
    token = (
        DrpToken.objects.select_related("agent", "agent__tenant")
        .filter(token_hash=secret_hash(raw), revoked_at__isnull=True, agent__active=True)
        .first()
    )
    if token is None:
        raise DrpError("The bearer token is not valid.", code="drp_token_invalid", status=403)
    return token.agent


def check_agent(*, agent: DrpAgent, agent_id: str) -> None:
    """GET /v1/agent/{agent-id}: 403 unless the token belongs to that agent."""
    if agent.agent_id != agent_id:
        raise DrpError("The bearer token is not this agent's.", code="drp_wrong_agent", status=403)


# --- requests -------------------------------------------------------------------------------------


def exercise(*, agent: DrpAgent, body: bytes) -> DrpRequest:
    """POST /v1/data-rights-request: check, then file through compliance.requests.file_request."""
    claims, signature = _open(body, verify_key=agent.verify_key)
    expires_at = _check_claims(claims, agent)
    if claims.get("drp.version") not in SUPPORTED_VERSIONS:
        raise DrpError("Unsupported drp.version.", code="drp_unsupported_version", fatal=True)
    kind = EXERCISES.get(claims.get("exercise"))
    if kind is None:
        raise DrpError("Unsupported rights action submitted.", code="drp_unsupported_action", fatal=True)
    regime = claims.get("regime")
    if regime not in (None, "ccpa"):
        raise DrpError("Unsupported regime; use ccpa or leave it out.", code="drp_unsupported_regime", fatal=True)
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise DrpError("An email claim is required to match the data subject.", code="drp_identity_missing", fatal=True)
    callback = claims.get("status_callback") or ""
    if callback:
        try:
            callbacks.check_url(callback)
        except ValueError as exc:
            raise DrpError(str(exc), code="drp_bad_callback", fatal=True) from None
    agent_request_id = claims.get("agent-request-id") or ""
    if not isinstance(agent_request_id, str) or len(agent_request_id) > 200:
        raise DrpError("agent-request-id must be a string of at most 200 characters.", code="drp_bad_claim", fatal=True)
    verified = kind in NO_VERIFICATION_NEEDED or claims.get("email_verified") is True
    with transaction.atomic():
        _remember(signature, expires_at)
        request = intake.file(
            tenant=agent.tenant,
            kind=kind,
            regime=DataSubjectRequest.Regime.CCPA,
            email=email,
            source=DataSubjectRequest.Source.DRP,
            verified=verified,
        )
        link = DrpRequest.objects.create(
            request=request,
            tenant=agent.tenant,
            agent=agent,
            exercise=claims["exercise"],
            agent_request_id=agent_request_id,
            status_callback=callback,
        )
        link.last_status_sent = callback_state(request)
        link.save(update_fields=["last_status_sent"])
    return link


def find(*, agent: DrpAgent, request_id: str) -> DrpRequest:
    """The agent's request: another tenant's (or no) request is a 404, another agent's of this tenant 403."""
    link = (
        DrpRequest.objects.select_related("request", "agent")
        .filter(tenant=agent.tenant_id, request_id=_uuid_or_none(request_id))
        .first()
    )
    if link is None:
        raise DrpError("No such request.", code="not_found", status=404)
    if link.agent_id != agent.pk:
        raise DrpError("This request is managed by another agent.", code="drp_not_your_request", status=403)
    return link


def revoke(*, agent: DrpAgent, request_id: str, body: bytes) -> DrpRequest:
    """DELETE /v1/data-rights-request/{id}: signed body {"reason"}; the reason is not stored (free text)."""
    link = find(agent=agent, request_id=request_id)
    claims, signature = _open(body, verify_key=agent.verify_key)
    expires_at = _check_claims(claims, agent, required=False)
    with transaction.atomic():
        if expires_at is not None:
            _remember(signature, expires_at)
        changed = dsr_requests.set_status(
            request=link.request, status=DataSubjectRequest.Status.CANCELLED, actor=f"drp-agent:{agent.pk}"
        )
        if not changed:
            raise DrpError("The request is already closed.", code="drp_already_closed", status=409)
    link.request.refresh_from_db()
    return link


def _uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# --- status objects -------------------------------------------------------------------------------


def drp_status(request: DataSubjectRequest) -> tuple[str, str]:
    """(status, reason) of the DRP state table for a request's status."""
    s = DataSubjectRequest.Status
    if request.status == s.PENDING_VERIFICATION:
        return "in_progress", "need_user_verification"
    if request.status in (s.OPEN, s.IN_PROGRESS):
        return "in_progress", ""
    if request.status == s.FULFILLED:
        return "fulfilled", ""
    if request.status == s.CANCELLED:
        return "revoked", ""
    if request.status == s.EXPIRED:  # unverified in time: the spec's [denied, insuf_verification]
        return "denied", "insuf_verification"
    return "denied", request.denial_reason if request.denial_reason in DENIAL_REASONS else "other"


def callback_state(request: DataSubjectRequest) -> str:
    """What a status callback reports on: the status, its reason, and whether the deadline was extended
    (3.08: an extension updates processing_details, and the agent is told)."""
    return "/".join((*drp_status(request), *(["extended"] if request.extended_at else [])))


def status_object(link: DrpRequest) -> dict:
    """3.03 Exercise Status: ids, state and dates only — never the subject's claims. The extension's
    reason, written by the business for the requester, goes in processing_details."""
    request = link.request
    status, reason = drp_status(request)
    body = {
        "request_id": str(request.pk),
        "status": status,
        "received_at": timestamps.render(request.received_at),
        "expected_by": timestamps.render(request.due_at),
    }
    if reason:
        body["reason"] = reason
    if reason == "need_user_verification" and (page := mail.status_url(request)):
        # 3.03: MUST carry where the subject completes verification: the status page says to open the
        # e-mail we sent, and sends it again on request.
        body["user_verification_url"] = page
    if request.extended_at:
        body["processing_details"] = (f"The deadline was extended on {request.extended_at:%Y-%m-%d} to "
                                      f"{request.due_at:%Y-%m-%d}. Reason: {request.extension_reason}")
    if link.agent_request_id:
        body["agent_request_id"] = link.agent_request_id
    return body
