"""Usage statistics in the admin: tenant admins see their tenants' figures, the operator everyone's."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path

from governance.models import Tenant
from governance.tenancy import scoping

from . import usage
from .models import UsageStatistics


def _visible_tenants(user):
    if scoping.is_operator(user):
        return Tenant.objects.all()
    if not (user.is_active and user.is_staff):
        return Tenant.objects.none()
    return Tenant.objects.filter(pk__in=scoping.administered_tenant_ids(user))


@admin.register(UsageStatistics)
class UsageStatisticsAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return scoping.is_operator(request.user) or (
            request.user.is_staff and bool(scoping.administered_tenant_ids(request.user))
        )

    def has_view_permission(self, request, obj=None):
        return obj is None and self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("", self.admin_site.admin_view(self.changelist_view), name="search_usagestatistics_changelist")]

    def changelist_view(self, request, extra_context=None):
        if not self.has_module_permission(request):
            raise PermissionDenied
        tenants = _visible_tenants(request.user).order_by("slug")
        wanted = request.GET.get("tenant", "")
        if wanted:
            # Another tenant's id is the same "not found" as one that does not exist.
            if not wanted.isdigit() or not tenants.filter(pk=wanted).exists():
                raise Http404
            tenant_ids = {int(wanted)}
        else:
            tenant_ids = None if scoping.is_operator(request.user) else set(tenants.values_list("pk", flat=True))
        try:
            days = int(request.GET.get("days", 30))
        except ValueError:
            days = 30
        figures = usage.summary(tenant_ids=tenant_ids, days=days)
        busiest = figures.busiest_day or 1
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Usage statistics",
            "figures": figures,
            "bars": [(d, round(100 * d.searches / busiest)) for d in figures.per_day],
            "tenants": tenants if tenants.count() > 1 else None,
            "selected": wanted,
            "days": len(figures.per_day),
        }
        return TemplateResponse(request, "admin/search/usage_statistics.html", context)
