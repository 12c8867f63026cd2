"""Support access: staff see a tenant's content only through a request that tenant's admin approved.

As Azure Customer Lockbox and Google Access Approval do: a request names a ticket, a reason, a
scope (whole content categories or named objects) and a duration of at most 8 hours. Only that
tenant's admins decide (never the requester, never the operator); an unanswered request expires
after 12 hours; a grant ends on time or when revoked. `can_see_content` is the one enforcement
function the admin and the API ask; `record_view` writes the access-transparency event for each
view of content under a grant.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import audit, scoping
from .crypto import blind_index
from .errors import SightguardError
from .models import AccessRequest, Membership, StoredObject, SupportStaff, User

MAX_HOURS = 8
ANSWER_WITHIN = timedelta(hours=12)
TICKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._#:/-]{0,63}$")


class Category(models.TextChoices):
    """Customer content, as whole categories a request may name."""

    SEARCH_TEXT = "search_text", "Search contexts and descriptions"
    IMAGES = "images", "Images"
    SUBJECT_EMAILS = "subject_emails", "Data subjects' e-mail addresses"
    EXPORT_ARCHIVES = "export_archives", "Export archives"


# Models holding content, by label (strings: governance never imports the apps above it).
MODEL_CATEGORIES = {
    "search.searchjob": Category.SEARCH_TEXT,
    "compliance.datasubjectrequest": Category.SUBJECT_EMAILS,
}
STORED_OBJECT_CATEGORIES = {
    StoredObject.Purpose.TRANSIENT_IMAGE: Category.IMAGES,
    StoredObject.Purpose.RETAINED_IMAGE: Category.IMAGES,
    StoredObject.Purpose.SUPPORT_VIEW: Category.IMAGES,
    StoredObject.Purpose.EXPORT_ARCHIVE: Category.EXPORT_ARCHIVES,
}
NAMEABLE_MODELS = (*MODEL_CATEGORIES, "governance.storedobject")


class SupportError(SightguardError):
    code, status, detail = "support_refused", 403, "The support-access operation was refused."


@dataclass(frozen=True)
class Access:
    """Why a viewer may see an object's content: as the customer, or under a support grant."""

    kind: str  # "customer" | "grant"
    grant: AccessRequest | None = None

    @property
    def under_grant(self) -> bool:
        return self.kind == "grant"


CUSTOMER = Access("customer")


# --- who is who ----------------------------------------------------------------------------------


def is_support(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return SupportStaff.objects.filter(user_id=user.pk, active=True).exists()


def add_support_staff(*, email: str, password: str | None = None, actor=None) -> User:
    """An account that may open access requests and log into the admin; no tenant, no superuser."""
    with transaction.atomic():
        user = User.objects.filter(email_index=blind_index(email)).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password)
        elif password:
            user.set_password(password)
        if user.is_superuser:
            raise SupportError("The operator cannot be support staff.", code="operator_cannot_be_support", status=400)
        user.is_staff = True
        user.save()
        SupportStaff.objects.update_or_create(user=user, defaults={"active": True})
        audit.record(action="support.staff_added", actor=actor, target=user)
    return user


# --- content and scope ---------------------------------------------------------------------------


def category_of(obj_or_model, purpose: str | None = None) -> str | None:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    if model is StoredObject:
        return STORED_OBJECT_CATEGORIES.get(purpose or getattr(obj_or_model, "purpose", None))
    return MODEL_CATEGORIES.get(model._meta.label_lower)


def tenant_id_of(obj) -> int | None:
    path = scoping.tenant_path(type(obj)).split("__")
    for step in path[:-1]:
        obj = getattr(obj, step, None)
        if obj is None:
            return None
    return getattr(obj, f"{path[-1]}_id", None)


def live_grants(user, *, tenant_id: int | None = None, now: datetime | None = None) -> list[AccessRequest]:
    """The approved, unexpired requests of an active support account (none for anyone else)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    grants = AccessRequest.objects.filter(
        requester_id=user.pk,
        requester__support_profile__active=True,
        status=AccessRequest.Status.APPROVED,
        approved_until__gt=now or timezone.now(),
    )
    if tenant_id is not None:
        grants = grants.filter(tenant_id=tenant_id)
    return list(grants)


def _names(grant: AccessRequest, obj) -> bool:
    return {"type": obj._meta.label_lower, "id": str(obj.pk)} in grant.scope_objects


def can_see_content(*, user, obj, category: str | None = None, now: datetime | None = None) -> Access | None:
    """The one enforcement check: may `user` see `obj`'s content (of `category`, default the object's)?

    The tenant's own people are the customer and see it; anyone else (support staff, the operator)
    only under a live grant of that tenant whose scope names the object or covers the category.
    """
    tenant_id = tenant_id_of(obj)
    if tenant_id is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if Membership.objects.filter(user_id=user.pk, tenant_id=tenant_id).exists():
        return CUSTOMER
    category = category or category_of(obj)
    for grant in live_grants(user, tenant_id=tenant_id, now=now):
        if (category and category in grant.scope_categories) or _names(grant, obj):
            return Access("grant", grant)
    return None


def covered_queryset(queryset: QuerySet, user, *, categories: set[str]) -> QuerySet:
    """Rows a support account may open in the admin: named by, or in a category of, a live grant."""
    model = queryset.model
    label = model._meta.label_lower
    tenant_field = scoping.tenant_path(model)
    covered = Q(pk__in=[])
    for grant in live_grants(user):
        inside = Q(pk__in=[o["id"] for o in grant.scope_objects if o["type"] == label])
        wanted = categories & set(grant.scope_categories)
        if wanted:
            if model is StoredObject:
                inside |= Q(purpose__in=[p for p, c in STORED_OBJECT_CATEGORIES.items() if c in wanted])
            else:
                inside = Q()
        covered |= Q(**{tenant_field: grant.tenant_id}) & inside
    return queryset.filter(covered)


def record_view(*, user, obj, access: Access | None, fields, category: str | None = None):
    """Access transparency: one audit event per view of content under a grant (who, what, ticket, when)."""
    if access is None or not access.under_grant:
        return None
    grant = access.grant
    return audit.record(
        action="support.content_viewed",
        actor=user,
        tenant=grant.tenant_id,
        target=obj,
        metadata={
            "request": grant.pk,
            "ticket": grant.ticket,
            "reason_code": grant.reason_code,
            "fields": sorted(fields),
            "category": category or category_of(obj) or "",
        },
    )


# --- the request's life --------------------------------------------------------------------------


def _resolve_objects(tenant, objects) -> list[dict]:
    resolved = []
    for item in objects:
        if isinstance(item, models.Model):
            label, pk = item._meta.label_lower, str(item.pk)
        else:
            label, pk = item
            label, pk = str(label).strip().lower(), str(pk).strip()
        if label not in NAMEABLE_MODELS:
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
    if any(c not in Category.values for c in categories):
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
        _notify(request, "requested")
    return request


def _check_decider(request: AccessRequest, actor) -> None:
    if scoping.is_operator(actor):
        raise SupportError("The operator cannot decide for a tenant.", code="operator_cannot_decide")
    if actor.pk == request.requester_id:
        raise SupportError("Nobody decides on their own request.", code="own_request")
    if request.tenant_id not in scoping.administered_tenant_ids(actor):
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
        _notify(row, "approved")
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
        row.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
        audit.record(action="support.denied", actor=actor, tenant=row.tenant_id, target=row, metadata={"ticket": row.ticket})
        _notify(row, "denied")
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
        _notify(row, "revoked")
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
                _notify(row, "expired")
    return closed


def transparency_events(tenant_ids):
    """The tenant's access-transparency log: every request, decision, expiry and content view."""
    from .models import AuditEvent

    return AuditEvent.objects.filter(tenant_id__in=tenant_ids, action__startswith="support.").order_by("-id")


def _notify(request: AccessRequest, event: str) -> None:
    def queue(pk=request.pk):
        from .tasks import notify_access_request

        notify_access_request.delay(pk, event)

    transaction.on_commit(queue)


def send_notification(*, request_id: int, event: str) -> int:
    """E-mail whoever must know: the tenant's admins of a new request; the requester of its outcome."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse

    request = AccessRequest.objects.select_related("tenant", "requester").filter(pk=request_id).first()
    if request is None:
        return 0
    admins = [
        m.user
        for m in Membership.objects.filter(tenant_id=request.tenant_id, role=Membership.Role.ADMIN, user__is_active=True)
        .exclude(user_id=request.requester_id)
        .select_related("user")
    ]
    if event == "requested":
        recipients = [u.email for u in admins]
    else:
        recipients = [request.requester.email]
    if event in ("expired", "revoked"):
        recipients += [u.email for u in admins]
    link = settings.SITE_URL + reverse("admin:governance_accessrequest_change", args=[request.pk])
    scope = ", ".join(
        [Category(c).label for c in request.scope_categories]
        + [f"{o['type']} {o['id']}" for o in request.scope_objects]
    )
    lines = [
        f"Support access request #{request.pk} for tenant {request.tenant.slug}: {event}.",
        "",
        f"Ticket: {request.ticket}",
        f"Reason: {request.get_reason_code_display()} - {request.reason_text}",
        f"Scope: {scope}",
        f"Hours asked: {request.hours_requested}",
    ]
    if event == "requested":
        lines.append(f"Answer by: {request.answer_by:%Y-%m-%d %H:%M} UTC (unanswered requests expire).")
    if request.approved_until:
        lines.append(f"Access until: {request.approved_until:%Y-%m-%d %H:%M} UTC")
    if request.decision_comment:
        lines.append(f"Comment: {request.decision_comment}")
    lines += ["", f"Review it: {link}"]
    subject = f"[Sightguard] Support access request #{request.pk} ({request.ticket}) {event}"
    return send_mail(subject, "\n".join(lines), None, sorted(set(recipients)), fail_silently=False)
