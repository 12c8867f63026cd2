"""The base of every admin page that shows tenant rows: scoped by governance.scoping."""

from django.contrib import admin

from . import scoping
from .models import Tenant


class TenantScopedAdmin(admin.ModelAdmin):
    """Operators see every tenant's rows; a tenant admin sees their tenants' rows; others nothing.

    Set `tenant_admin_can` to the actions ("add", "change", "delete") tenant admins may take.
    """

    tenant_admin_can: tuple[str, ...] = ()
    operator_can: tuple[str, ...] = ("add", "change", "delete")

    def get_queryset(self, request):
        return scoping.for_admin_user(super().get_queryset(request), request.user)

    def _allowed(self, request, action, obj=None):
        user = request.user
        if scoping.is_operator(user):
            return action == "view" or action in self.operator_can
        tenants = scoping.administered_tenant_ids(user)
        if not tenants or not user.is_staff:
            return False
        if obj is not None and self._tenant_id_of(obj) not in tenants:
            return False
        return action == "view" or action in self.tenant_admin_can

    def _tenant_id_of(self, obj):
        path = scoping.tenant_path(type(obj)).split("__")
        for step in path[:-1]:
            obj = getattr(obj, step)
        return getattr(obj, f"{path[-1]}_id")

    def has_module_permission(self, request):
        return self._allowed(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view", obj)

    def has_add_permission(self, request):
        return self._allowed(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete", obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices in forms and autocomplete never list another tenant's rows.
        if db_field.related_model is Tenant and not scoping.is_operator(request.user):
            kwargs["queryset"] = Tenant.objects.filter(pk__in=scoping.administered_tenant_ids(request.user))
        elif hasattr(db_field.related_model, "tenant") or hasattr(db_field.related_model, "TENANT_FIELD"):
            kwargs["queryset"] = scoping.for_admin_user(db_field.related_model._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(TenantScopedAdmin):
    operator_can = ()

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
