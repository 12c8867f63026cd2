"""Data-subject requests: filing and status changes, whatever channel they come through.

Protocol adapters (DRP, OpenDSR) and the GPC signal call file_request like the public form does;
they learn of status changes from the status_changed signal (sent after commit).
"""

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from governance import audit
from governance.crypto import blind_index

from . import deadlines
from .models import DataSubjectRequest

# Sent after the commit that changed a request's status or deadline (request=).
status_changed = Signal()
REPLY_DAYS = {DataSubjectRequest.Regime.GDPR: 30, DataSubjectRequest.Regime.CCPA: 45}


def file_request(*, tenant, kind: str, regime: str, email: str, source: str, verified: bool = False) -> DataSubjectRequest:
    now = timezone.now()
    request = DataSubjectRequest.objects.create(
        tenant=tenant,
        kind=kind,
        regime=regime,
        source=source,
        email=email,
        subject_index=blind_index(email),
        status=DataSubjectRequest.Status.OPEN if verified else DataSubjectRequest.Status.PENDING_VERIFICATION,
        received_at=now,
        verified_at=now if verified else None,
        due_at=deadlines.reply_due(regime=regime, received_at=now),
        ack_due_at=deadlines.acknowledgement_due(regime=regime, received_at=now),
    )
    audit.record(
        action="privacy_request.filed",
        actor=f"subject:{source}",
        tenant=tenant,
        target=request,
        metadata={"kind": kind, "regime": regime, "source": source},
    )
    _notify(request)
    return request


def set_status(*, request: DataSubjectRequest, status: str, actor, **fields) -> bool:
    """Move a request to a new status unless it is closed; audited; listeners told after commit."""
    if status in DataSubjectRequest.CLOSED:
        fields.setdefault("closed_at", timezone.now())
    with transaction.atomic():
        changed = (
            DataSubjectRequest.objects.filter(pk=request.pk)
            .exclude(status__in=DataSubjectRequest.CLOSED)
            .update(status=status, **fields)
        )
        if changed:
            request.refresh_from_db()
            audit.record(
                action=f"privacy_request.{status}", actor=actor, tenant=request.tenant_id, target=request
            )
            _notify(request)
    return bool(changed)


def announce(request: DataSubjectRequest) -> None:
    """Tell listeners (protocol callbacks) after commit of a change they report besides the status:
    an extended deadline. Call inside the transaction that made it."""
    _notify(request)


def _notify(request: DataSubjectRequest) -> None:
    transaction.on_commit(lambda: status_changed.send(sender=DataSubjectRequest, request=request))
