"""The one base of every API view over a tenant-owned model (check sightguard.E202).

`get_queryset` starts from the request's tenant (the tenant of its API key, through
scoping.tenant_scope); without one (no key, schema generation) it is `.none()`, so a view that
forgets a filter shows nothing. Narrow further in `scope_queryset`. Another tenant's id is a 404.
"""

from django.db.models import QuerySet

from governance.api.authentication import IsTenantMember
from governance.tenancy import scoping


class TenantScopedAPIMixin:
    queryset: QuerySet  # the model's rows, before scoping
    permission_classes = [IsTenantMember]

    def get_queryset(self) -> QuerySet:
        base = self.queryset.all()
        tenant = getattr(self.request, "tenant", None)
        if getattr(self, "swagger_fake_view", False) or tenant is None:
            return base.none()
        scope = scoping.tenant_scope(user=self.request.user, api_tenant=tenant)
        return self.scope_queryset(scope.rows(base))

    def scope_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset
