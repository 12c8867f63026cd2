"""OpenDSR 2.0 for controllers (opengdpr/OpenDSR): discovery, requests, status, cancellation.

A controller is registered by the operator for one tenant and authenticates with a bearer token
(the spec leaves API authentication to the processor). Controllers verify their subjects before
sending (spec 3.2), so requests are filed verified. Responses and callbacks are signed
(X-OpenDSR-Signature, RSA-SHA256 over the body, see signatures.py).
"""

import base64
import json
import secrets
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.models import DataSubjectRequest, OpenDsrController, OpenDsrRequest
from governance.crypto import bearer_token, secret_hash

from .. import intake
from .. import requests as dsr_requests
from . import callbacks, signatures, timestamps
from .errors import OpenDsrError

API_VERSION = "2.0"
TYPES = {
    "access": DataSubjectRequest.Kind.ACCESS,
    "portability": DataSubjectRequest.Kind.PORTABILITY,
    "erasure": DataSubjectRequest.Kind.ERASURE,
}
REGULATIONS = {"gdpr": DataSubjectRequest.Regime.GDPR, "ccpa": DataSubjectRequest.Regime.CCPA}
MAX_CALLBACK_URLS = 5


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, secret_hash(token)


def controller_for_token(authorization: str) -> OpenDsrController:
    raw = bearer_token(authorization)
    controller = None
    if raw:
        controller = (
            OpenDsrController.objects.select_related("tenant").filter(token_hash=secret_hash(raw), active=True).first()
        )
    if controller is None:
        raise OpenDsrError(
            "A valid bearer token is required.", code="opendsr_unauthorized", status=401, domain="Authentication"
        )
    return controller


def discovery(*, certificate_url: str) -> dict:
    return {
        "api_version": API_VERSION,
        "supported_identities": [{"identity_type": "email", "identity_format": "raw"}],
        "supported_subject_request_types": list(TYPES),
        "processor_certificate": certificate_url,
    }


def submit(*, controller: OpenDsrController, body: bytes) -> OpenDsrRequest:
    """POST /opendsr/v2/requests: validate, then file through compliance.requests.file_request."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise OpenDsrError("The body is not JSON.", code="opendsr_not_json") from None
    if not isinstance(data, dict):
        raise OpenDsrError("The body is not a JSON object.", code="opendsr_not_json")
    regime = REGULATIONS.get(data.get("regulation"))
    if regime is None:
        raise OpenDsrError("regulation must be gdpr or ccpa.", code="opendsr_bad_regulation")
    try:
        subject_request_id = uuid.UUID(str(data.get("subject_request_id")))
    except ValueError:
        raise OpenDsrError("subject_request_id must be a UUID v4.", code="opendsr_bad_request_id") from None
    if subject_request_id.version != 4 or str(data.get("subject_request_id")) != str(subject_request_id):
        raise OpenDsrError("subject_request_id must be a lowercase UUID v4.", code="opendsr_bad_request_id")
    kind = TYPES.get(data.get("subject_request_type"))
    if kind is None:
        raise OpenDsrError("subject_request_type must be access, portability or erasure.", code="opendsr_bad_type")
    submitted = timestamps.parse(data.get("submitted_time"))
    if submitted is None:
        raise OpenDsrError("submitted_time must be an RFC 3339 date.", code="opendsr_bad_submitted_time")
    api_version = data.get("api_version", API_VERSION)
    if not isinstance(api_version, str) or not api_version.startswith("2."):
        raise OpenDsrError("api_version must be 2.x.", code="opendsr_unsupported_version")
    email = _email(data.get("subject_identities"))
    urls = data.get("status_callback_urls") or []
    if not isinstance(urls, list) or len(urls) > MAX_CALLBACK_URLS:
        raise OpenDsrError(
            f"status_callback_urls must be a list of at most {MAX_CALLBACK_URLS} URLs.", code="opendsr_bad_callback"
        )
    try:
        urls = [callbacks.check_url(url) for url in urls]
    except ValueError as exc:
        raise OpenDsrError(str(exc), code="opendsr_bad_callback") from None
    try:
        with transaction.atomic():
            if OpenDsrRequest.objects.filter(controller=controller, subject_request_id=subject_request_id).exists():
                raise IntegrityError
            request = intake.file(
                tenant=controller.tenant,
                kind=kind,
                regime=regime,
                email=email,
                source=DataSubjectRequest.Source.OPENDSR,
                verified=True,
            )
            link = OpenDsrRequest.objects.create(
                request=request,
                tenant=controller.tenant,
                controller=controller,
                subject_request_id=subject_request_id,
                regulation=data["regulation"],
                request_type=data["subject_request_type"],
                submitted_time=submitted,
                status_callback_urls=urls,
                last_status_sent=opendsr_status(request),
            )
    except IntegrityError:
        raise OpenDsrError(
            "A request with this subject_request_id was already received.", code="opendsr_duplicate"
        ) from None
    return link


def _email(identities) -> str:
    if not isinstance(identities, list) or not identities:
        raise OpenDsrError("subject_identities is required.", code="opendsr_identity_missing")
    for identity in identities:
        if not isinstance(identity, dict):
            continue
        if identity.get("identity_type") == "email" and identity.get("identity_format") == "raw":
            value = identity.get("identity_value")
            if isinstance(value, str) and "@" in value and len(value) <= 254:
                return value
    raise OpenDsrError(
        "A raw email identity is required (see /opendsr/v2/discovery).", code="opendsr_unsupported_identity"
    )


def find(*, controller: OpenDsrController, subject_request_id: str) -> OpenDsrRequest:
    try:
        key = uuid.UUID(str(subject_request_id))
    except ValueError:
        key = None
    link = (
        OpenDsrRequest.objects.select_related("request", "controller")
        .filter(controller=controller, tenant=controller.tenant_id, subject_request_id=key)
        .first()
    )
    if link is None:
        raise OpenDsrError("No such request.", code="not_found", status=404, domain="Request")
    return link


def cancel(*, controller: OpenDsrController, subject_request_id: str) -> tuple[OpenDsrRequest, object]:
    """DELETE /opendsr/v2/requests/{id}: only while pending."""
    link = find(controller=controller, subject_request_id=subject_request_id)
    with transaction.atomic():
        request = DataSubjectRequest.objects.select_for_update().get(pk=link.request_id)
        if opendsr_status(request) != "pending":
            raise OpenDsrError("Only a pending request can be cancelled.", code="opendsr_not_pending", domain="Request")
        dsr_requests.set_status(
            request=request, status=DataSubjectRequest.Status.CANCELLED, actor=f"opendsr-controller:{controller.pk}"
        )
    link.request.refresh_from_db()
    return link, timezone.now()


def opendsr_status(request: DataSubjectRequest) -> str:
    s = DataSubjectRequest.Status
    if request.status in (s.PENDING_VERIFICATION, s.OPEN):
        return "pending"
    if request.status == s.IN_PROGRESS:
        return "in_progress"
    if request.status == s.FULFILLED:
        return "completed"
    return "cancelled"  # cancelled, and (no such state in OpenDSR) denied or expired


def status_body(link: OpenDsrRequest) -> dict:
    return {
        "controller_id": link.controller.controller_id,
        "expected_completion_time": timestamps.render(link.request.due_at),
        "subject_request_id": str(link.subject_request_id),
        "request_status": opendsr_status(link.request),
        "api_version": API_VERSION,
        "results_url": None,
    }


def created_body(link: OpenDsrRequest, raw_body: bytes) -> dict:
    return {
        "controller_id": link.controller.controller_id,
        "expected_completion_time": timestamps.render(link.request.due_at),
        "received_time": timestamps.render(link.request.received_at),
        # Required by the spec (7.3): the controller's own request, echoed; never logged or stored here.
        "encoded_request": base64.b64encode(raw_body).decode(),
        "subject_request_id": str(link.subject_request_id),
        "api_version": API_VERSION,
    }


def cancelled_body(link: OpenDsrRequest, received) -> dict:
    return {
        "controller_id": link.controller.controller_id,
        "subject_request_id": str(link.subject_request_id),
        "received_time": timestamps.render(received),
        "api_version": API_VERSION,
    }


def signed_headers(body: bytes) -> dict:
    return {
        "X-OpenDSR-Processor-Domain": signatures.processor_domain(),
        "X-OpenDSR-Signature": signatures.sign_rsa(body),
    }
