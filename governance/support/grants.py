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

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from governance import audit
from governance.crypto import blind_index
from governance.datamap import DATA_MAP
from governance.errors import SightguardError
from governance.models import (
    AccessRequest,
    Membership,
    SupportStaff,
    User,
)
from governance.tenancy import scoping

MAX_HOURS = 8
ANSWER_WITHIN = timedelta(hours=12)
TICKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._#:/-]{0,63}$")


def nameable_models() -> list[str]:
    """Labels of the models a request may name objects of: those the data map declares content in."""
    return DATA_MAP.content_models()


def scope_choices() -> list[tuple[str, str]]:
    """Categories a request may name: those the data map declares content of."""
    return DATA_MAP.content_choices()


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


def category_of(obj_or_model) -> str | None:
    """The content category of a row (or of a model's rows when they are all one category)."""
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    if not DATA_MAP.content_categories(model):
        return None
    return DATA_MAP.category_of(obj_or_model)


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
    tenant_id = scoping.tenant_id_of(obj)
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
        content = DATA_MAP.content_q(model, wanted) if wanted else None
        if content is not None:
            inside = Q() if not content else inside | content
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
