"""Tenant scoping: the one place querysets for a request are narrowed to what its actor may see.

The API scopes to the tenant its key belongs to; the admin scopes to the tenants the user
administers. A model names the path to its tenant in TENANT_FIELD (default "tenant").
"""

from django.db.models import Model, QuerySet

from governance.models import Membership, Tenant


def tenant_path(model: type[Model]) -> str:
    return getattr(model, "TENANT_FIELD", "tenant")


def for_tenant(queryset: QuerySet, tenant: Tenant | None) -> QuerySet:
    if tenant is None:
        return queryset.none()
    return queryset.filter(**{tenant_path(queryset.model): tenant})


def administered_tenant_ids(user) -> frozenset[int]:
    """Tenants whose admin this user is; cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_administered_tenant_ids", None)
    if cached is None:
        cached = frozenset(
            Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values_list("tenant_id", flat=True)
        )
        user._administered_tenant_ids = cached
    return cached


def is_operator(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def for_admin_user(queryset: QuerySet, user) -> QuerySet:
    """Rows visible in the Django admin: all for the operator, the administered tenants' otherwise."""
    if is_operator(user):
        return queryset
    ids = administered_tenant_ids(user)
    if not ids:
        return queryset.none()
    return queryset.filter(**{f"{tenant_path(queryset.model)}__in": ids})
