"""Tenant scoping: the one place that says which tenants' rows an actor may see.

`tenant_scope` answers for every actor: the operator sees every tenant, a tenant admin the
tenants they administer, a member through the API the tenant of their key, support staff only
the tenants a live grant covers (and there only the rows it covers, governance.support.grants).
The admin, the API and the page-only admin views all ask it; nothing else lists tenants for a
user. A model names the path to its tenant in TENANT_FIELD; without one, a foreign key named
`tenant` is the path; a model with neither is a platform model.
"""

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet

from governance.models import Membership, Tenant


def tenant_path(model: type[Model]) -> str | None:
    """The lookup from `model` to its Tenant ("pk" for Tenant itself), or None for platform models."""
    if issubclass(model, Tenant):
        return "pk"
    declared = getattr(model, "TENANT_FIELD", None)
    if declared:
        return declared
    try:
        field = model._meta.get_field("tenant")
    except FieldDoesNotExist:
        return None
    return "tenant" if getattr(field, "related_model", None) is Tenant else None


def is_tenant_owned(model: type[Model]) -> bool:
    return tenant_path(model) is not None


def tenant_id_of(obj: Model) -> int | None:
    """The id of the tenant `obj` belongs to, following tenant_path (None on a platform row)."""
    path = tenant_path(type(obj))
    if path is None:
        return None
    if path == "pk":
        return obj.pk
    steps = path.split("__")
    for step in steps[:-1]:
        obj = getattr(obj, step, None)
        if obj is None:
            return None
    return getattr(obj, f"{steps[-1]}_id", None)


@dataclass(frozen=True)
class TenantScope:
    """What one actor may see. `tenant_ids`: tenants whose rows are all visible (tenant admin, API
    key). `granted_ids`: tenants where a support grant makes some rows visible (the grant says
    which). `support`: a support account. `everything`: the operator."""

    everything: bool = False
    tenant_ids: frozenset[int] = frozenset()
    granted_ids: frozenset[int] = frozenset()
    support: bool = False

    def sees_tenant(self, tenant_id) -> bool:
        """May the actor see this tenant whole (its pages, all its rows)?"""
        return self.everything or tenant_id in self.tenant_ids

    def rows(self, queryset: QuerySet) -> QuerySet:
        """The rows of tenants seen whole; `.none()` for platform models unless operator."""
        if self.everything:
            return queryset
        path = tenant_path(queryset.model)
        if path is None or not self.tenant_ids:
            return queryset.none()
        return queryset.filter(**{f"{path}__in": self.tenant_ids})

    def tenants(self) -> QuerySet:
        return self.rows(Tenant.objects.all())


NOTHING = TenantScope()


def tenant_scope(*, user, api_tenant: Tenant | None = None) -> TenantScope:
    """Which tenants `user` may see. An API request passes its key's tenant: that tenant only."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if api_tenant is not None:
        return TenantScope(tenant_ids=frozenset({api_tenant.pk}))
    if is_operator(user):
        return TenantScope(everything=True)
    if not user.is_staff:  # members use the API; the admin is staff's
        return NOTHING
    # grants imports this module; the import is here to keep that one way at import time
    from governance.support import grants

    support = grants.is_support(user)
    granted = frozenset(g.tenant_id for g in grants.live_grants(user)) if support else frozenset()
    return TenantScope(tenant_ids=administered_tenant_ids(user), granted_ids=granted, support=support)


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

