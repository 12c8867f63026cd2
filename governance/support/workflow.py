"""The support-access request's life: opened by support staff, approved, denied or revoked by the
tenant's admins, expired when unanswered or over."""

from datetime import datetime, timedelta

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from governance import audit
from governance.models import AccessRequest
from governance.support.grants import (
    ANSWER_WITHIN,
    MAX_HOURS,
    TICKET_RE,
    SupportError,
    is_support,
    nameable_models,
    scope_choices,
)
from governance.support.mail import notify
from governance.tenancy import scoping

# --- the request's life --------------------------------------------------------------------------


def _resolve_objects(tenant, objects) -> list[dict]:
    resolved = []
    for item in objects:
        if isinstance(item, models.Model):
            label, pk = item._meta.label_lower, str(item.pk)
        else:
            label, pk = item
            label, pk = str(label).strip().lower(), str(pk).strip()
        if label not in nameable_models():
            raise SupportError(f"{label!r} holds no content a request can name.", code="unknown_object_type", status=400)
        model = apps.get_model(label)
        try:
            found = model._default_manager.filter(pk=pk, **{scoping.tenant_path(model): tenant}).exists()
        except (ValidationError, ValueError):
            found = False
        if not found:
            # The same answer for a missing and another tenant's object: nothing confirms it exists.
            raise SupportError("An object in the scope was not found in this tenant.", code="scope_object_not_found", status=400)
        entry = {"type": label, "id": str(model._meta.pk.to_python(pk))}
        if entry not in resolved:
            resolved.append(entry)
    return resolved


def open_request(
    *,
    requester,
    tenant,
    ticket: str,
    reason_code: str,
    reason_text: str,
    hours: int,
    categories=(),
    objects=(),
) -> AccessRequest:
    """Support asks a tenant for access; the tenant's admins are told by e-mail."""
    if not is_support(requester):
        raise SupportError("Only support staff open access requests.", code="not_support_staff")
    ticket = (ticket or "").strip()
    if not TICKET_RE.match(ticket):
        raise SupportError("The ticket reference is missing or malformed.", code="invalid_ticket", status=400)
    if reason_code not in AccessRequest.Reason.values:
        raise SupportError("Unknown reason code.", code="invalid_reason", status=400)
    if not (reason_text or "").strip():
        raise SupportError("A justification is required.", code="reason_required", status=400)
    if not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        raise SupportError(f"The duration must be 1 to {MAX_HOURS} hours.", code="invalid_duration", status=400)
    categories = list(dict.fromkeys(categories))
    if any(c not in dict(scope_choices()) for c in categories):
        raise SupportError("Unknown content category.", code="unknown_category", status=400)
    scope_objects = _resolve_objects(tenant, objects)
    if not categories and not scope_objects:
        raise SupportError("Name at least one category or object.", code="scope_empty", status=400)
    now = timezone.now()
    with transaction.atomic():
        request = AccessRequest.objects.create(
            tenant=tenant,
            requester=requester,
            ticket=ticket,
            reason_code=reason_code,
            reason_text=reason_text.strip(),
            scope_categories=categories,
            scope_objects=scope_objects,
            hours_requested=hours,
            created_at=now,
            answer_by=now + ANSWER_WITHIN,
        )
        audit.record(
            action="support.requested",
            actor=requester,
            tenant=tenant,
            target=request,
            metadata={
                "ticket": ticket,
                "reason_code": reason_code,
                "hours": hours,
                "categories": categories,
                "objects": len(scope_objects),
            },
        )
        notify(request, "requested")
    return request


def _check_decider(request: AccessRequest, actor) -> None:
    if scoping.is_operator(actor):
        raise SupportError("The operator cannot decide for a tenant.", code="operator_cannot_decide")
    if actor.pk == request.requester_id:
        raise SupportError("Nobody decides on their own request.", code="own_request")
    if request.tenant_id not in scoping.tenant_scope(user=actor).tenant_ids:
        raise SupportError("Only the tenant's admins decide.", code="not_tenant_admin")


def _locked_pending(request: AccessRequest, now) -> AccessRequest:
    row = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if row.status != AccessRequest.Status.PENDING:
        raise SupportError("The request is no longer pending.", code="request_not_pending", status=409)
    if row.answer_by <= now:
        raise SupportError("The request expired unanswered.", code="request_expired", status=409)
    return row


def approve(*, request: AccessRequest, actor, hours: int | None = None, comment: str = "") -> AccessRequest:
    """The tenant's admin grants access, for the hours asked or fewer."""
    _check_decider(request, actor)
    now = timezone.now()
    with transaction.atomic():
        row = _locked_pending(request, now)
        hours = row.hours_requested if hours in (None, "") else hours
        if not isinstance(hours, int) or not 1 <= hours <= row.hours_requested:
            raise SupportError(
                f"Grant 1 to {row.hours_requested} hours: a decision may shorten, never lengthen.",
                code="invalid_duration",
                status=400,
            )
        row.status = AccessRequest.Status.APPROVED
        row.decided_by, row.decided_at, row.decision_comment = actor, now, (comment or "").strip()
        row.hours_granted, row.approved_until = hours, now + timedelta(hours=hours)
        row.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", "hours_granted", "approved_until"])
        audit.record(
            action="support.approved",
            actor=actor,
            tenant=row.tenant_id,
            target=row,
            metadata={"ticket": row.ticket, "hours": hours, "until": row.approved_until.isoformat()},
        )
        notify(row, "approved")
    return row


def deny(*, request: AccessRequest, actor, comment: str) -> AccessRequest:
    _check_decider(request, actor)
    if not (comment or "").strip():
        raise SupportError("Say why the request is denied.", code="comment_required", status=400)
    now = timezone.now()
    with transaction.atomic():
        row = _locked_pending(request, now)
        row.status = AccessRequest.Status.DENIED
        row.decided_by, row.decided_at, row.decision_comment = actor, now, comment.strip()
        row.ended_at = now  # a denied request's life ends with the decision (retention counts from here)
        row.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", "ended_at"])
        audit.record(action="support.denied", actor=actor, tenant=row.tenant_id, target=row, metadata={"ticket": row.ticket})
        notify(row, "denied")
    return row


def revoke(*, request: AccessRequest, actor, comment: str = "") -> AccessRequest:
    """The tenant's admin ends a live grant before its time."""
    _check_decider(request, actor)
    now = timezone.now()
    with transaction.atomic():
        row = AccessRequest.objects.select_for_update().get(pk=request.pk)
        if row.status != AccessRequest.Status.APPROVED or row.approved_until <= now:
            raise SupportError("Only a live grant can be revoked.", code="grant_not_live", status=409)
        row.status, row.ended_at, row.ended_by = AccessRequest.Status.REVOKED, now, actor
        if comment.strip():
            row.decision_comment = f"{row.decision_comment}\nRevoked: {comment.strip()}".strip()
        row.save(update_fields=["status", "ended_at", "ended_by", "decision_comment"])
        audit.record(action="support.revoked", actor=actor, tenant=row.tenant_id, target=row, metadata={"ticket": row.ticket})
        notify(row, "revoked")
    return row


def expire_due(*, now: datetime | None = None) -> int:
    """Close unanswered requests after 12 h and grants at their end. Idempotent; returns how many."""
    now = now or timezone.now()
    due = AccessRequest.objects.filter(
        Q(status=AccessRequest.Status.PENDING, answer_by__lte=now)
        | Q(status=AccessRequest.Status.APPROVED, approved_until__lte=now)
    ).only("pk", "status", "ticket", "tenant_id")
    closed = 0
    for row in due.iterator(chunk_size=500):
        with transaction.atomic():
            changed = AccessRequest.objects.filter(pk=row.pk, status=row.status).update(
                status=AccessRequest.Status.EXPIRED, ended_at=now
            )
            if changed:
                closed += 1
                audit.record(
                    action="support.expired",
                    actor="system",
                    tenant=row.tenant_id,
                    target=row,
                    metadata={"ticket": row.ticket, "was": row.status},
                )
                notify(row, "expired")
    return closed


def transparency_events(tenant_ids):
    """The tenant's access-transparency log: every request, decision, expiry and content view."""
    from governance.models import AuditEvent

    return AuditEvent.objects.filter(tenant_id__in=tenant_ids, action__startswith="support.").order_by("-id")


def ended_grant(*, user, obj) -> AccessRequest | None:
    """The support account's latest grant that covered `obj` and has ended (revoked or expired), if
    any: what the engineer is told instead of "not found" when they come back to a page."""
    from governance.support.grants import category_of

    tenant_id = scoping.tenant_id_of(obj)
    if tenant_id is None or not is_support(user):
        return None
    category = category_of(obj)
    ended = AccessRequest.objects.filter(
        requester_id=user.pk, tenant_id=tenant_id, approved_until__isnull=False,
        status__in=(AccessRequest.Status.REVOKED, AccessRequest.Status.EXPIRED, AccessRequest.Status.APPROVED),
    ).exclude(status=AccessRequest.Status.APPROVED, approved_until__gt=timezone.now()).order_by("-approved_until")
    for grant in ended:
        if (category and category in grant.scope_categories) or {"type": obj._meta.label_lower, "id": str(obj.pk)} in grant.scope_objects:
            return grant
    return None
