"""The audit log: one function appends an event; each row carries the hash of the previous one."""

import hashlib
import json
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from governance.models import AuditEvent, AuditHead

GENESIS_HASH = "0" * 64
_SAFE_SCALARS = (int, float, bool, type(None))


def actor_label(actor) -> str:
    """A stable, non-personal name for whoever acted: user:12, apikey:3, system, agent:x."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"{actor._meta.model_name}:{actor.pk}"


def _check_metadata(value, path="metadata"):
    if isinstance(value, dict):
        for key, item in value.items():
            _check_metadata(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_metadata(item, path)
    elif isinstance(value, str):
        if "@" in value or len(value) > 200:
            raise ValueError(f"{path}: audit metadata must not hold personal data or free text")
    elif not isinstance(value, _SAFE_SCALARS):
        raise ValueError(f"{path}: audit metadata takes plain JSON values only")


def event_hash(event: AuditEvent) -> str:
    body = json.dumps(
        [
            event.prev_hash,
            event.tenant_id,
            event.actor,
            event.action,
            event.target_type,
            event.target_id,
            event.metadata,
            event.created_at.isoformat(),
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(*, action: str, actor=None, tenant=None, target=None, metadata: dict | None = None) -> AuditEvent:
    """Append one audit event, in the caller's transaction."""
    metadata = metadata or {}
    _check_metadata(metadata)
    if isinstance(target, models.Model):
        target_type, target_id = target._meta.label_lower, str(target.pk)
    elif target:
        target_type, target_id = target
    else:
        target_type, target_id = "", ""
    # No savepoint inside the caller's transaction (two round trips saved per event): if the append
    # fails, the caller's whole transaction rolls back with it, which is what every caller wants.
    with transaction.atomic(savepoint=False):
        # The head row is the chain's lock: appends are serialised, so no two rows share a parent.
        head = AuditHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            tenant_id=getattr(tenant, "pk", tenant),
            actor=actor_label(actor),
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            metadata=metadata,
            created_at=timezone.now(),
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(event)
        event.save()
        AuditHead.objects.filter(pk=1).update(last_hash=event.hash)
    return event


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    head = AuditHead.objects.get(pk=1)
    expected_prev = head.anchor_hash
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev:
            return ChainReport(False, checked, event.id, "the row before it was deleted or changed")
        if event_hash(event) != event.hash:
            return ChainReport(False, checked, event.id, "the row was edited")
        expected_prev = event.hash
        checked += 1
    if expected_prev != head.last_hash:
        return ChainReport(False, checked, None, "the newest rows were deleted")
    return ChainReport(True, checked)
