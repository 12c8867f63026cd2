"""Review by the tenant's admin: approve (work starts), deny with a reason, extend the deadline once."""

from django.db import transaction
from django.utils import timezone

from governance import audit
from governance.errors import SightguardError
from governance.tenancy import scoping

from . import deadlines, mail
from .models import DataSubjectRequest, DenialReason
from .requests import announce, set_status

Status, Kind = DataSubjectRequest.Status, DataSubjectRequest.Kind
WORK_KINDS = (Kind.ERASURE, Kind.ACCESS, Kind.PORTABILITY)
MAX_TEXT = 2000


def _check_reviewer(request: DataSubjectRequest, actor) -> None:
    if not scoping.tenant_scope(user=actor).sees_tenant(request.tenant_id):
        raise SightguardError("Only the tenant's admins review its requests.", code="not_allowed", status=403)


def approve(*, request: DataSubjectRequest, actor) -> DataSubjectRequest:
    """A verified request goes to work: export or erasure runs on a worker."""
    _check_reviewer(request, actor)
    if request.status != Status.OPEN:
        raise SightguardError("Only a verified, open request can be approved.", code="request_not_verified", status=409)
    if request.kind not in WORK_KINDS:
        raise SightguardError("This kind of request needs no approval.", code="nothing_to_approve", status=409)
    from . import tasks

    with transaction.atomic():
        now = timezone.now()
        if not set_status(request=request, status=Status.IN_PROGRESS, actor=actor, reviewed_by=actor, reviewed_at=now):
            raise SightguardError("The request changed meanwhile.", code="request_closed", status=409)
        task = tasks.run_erasure if request.kind == Kind.ERASURE else tasks.run_export
        request_id = str(request.pk)
        transaction.on_commit(lambda: task.delay(request_id))
    request.refresh_from_db()
    return request


def deny(*, request: DataSubjectRequest, actor, reason: str, text: str = "") -> DataSubjectRequest:
    _check_reviewer(request, actor)
    if reason not in DenialReason.values:
        raise SightguardError("Choose a reason from the list.", code="denial_reason_required")
    text = (text or "").strip()[:MAX_TEXT]
    if request.status in DataSubjectRequest.CLOSED or request.status == Status.IN_PROGRESS:
        raise SightguardError("This request can no longer be denied.", code="request_closed", status=409)
    with transaction.atomic():
        if not set_status(
            request=request, status=Status.DENIED, actor=actor, denial_reason=reason, denial_text=text,
            reviewed_by=actor, reviewed_at=timezone.now(),
        ):
            raise SightguardError("The request changed meanwhile.", code="request_closed", status=409)
        audit.record(action="privacy_request.denial_reason", actor=actor, tenant=request.tenant_id, target=request,
                     metadata={"reason": reason})
        email = request.email
        label = DenialReason(reason).label
        transaction.on_commit(lambda: mail.denied(request=request, to=email, reason_label=label, text=text))
    request.refresh_from_db()
    return request


def extend(*, request: DataSubjectRequest, actor, reason: str) -> DataSubjectRequest:
    """Extend the reply deadline once (GDPR +2 months, within the first month; CCPA +45 days)."""
    _check_reviewer(request, actor)
    reason = (reason or "").strip()[:MAX_TEXT]
    if not reason:
        raise SightguardError("An extension needs a reason; it is sent to the requester.", code="extension_reason_required")
    now = timezone.now()
    if request.status in DataSubjectRequest.CLOSED:
        raise SightguardError("This request is closed.", code="request_closed", status=409)
    if request.extended_at is not None:
        raise SightguardError("The deadline was extended already.", code="already_extended", status=409)
    if request.due_at <= now:
        raise SightguardError("The deadline has passed; it can no longer be extended.", code="extension_too_late", status=409)
    new_due = deadlines.extended_due(regime=request.regime, due_at=request.due_at)
    with transaction.atomic():
        changed = DataSubjectRequest.objects.filter(pk=request.pk, extended_at__isnull=True).exclude(
            status__in=DataSubjectRequest.CLOSED
        ).update(due_at=new_due, extended_at=now, extension_reason=reason)
        if not changed:
            raise SightguardError("The request changed meanwhile.", code="request_closed", status=409)
        request.refresh_from_db()
        audit.record(action="privacy_request.extended", actor=actor, tenant=request.tenant_id, target=request,
                     metadata={"due_at": new_due.isoformat()})
        announce(request)  # protocol agents hear of it (DRP: processing_details and a status callback)
        email = request.email
        transaction.on_commit(lambda: mail.extended(request=request, to=email, reason=reason))
    return request
