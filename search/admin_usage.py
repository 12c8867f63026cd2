"""Usage statistics in the admin: tenant admins see their tenants' figures, the operator everyone's."""

from django.contrib import admin
from django.template.response import TemplateResponse

from governance.admin.base import TenantPageAdmin
from governance.tenancy import scoping

from . import usage
from .models import UsageStatistics


@admin.register(UsageStatistics)
class UsageStatisticsAdmin(TenantPageAdmin):
    def page_view(self, request, *, tenant):
        tenants = self.page_tenants(request)
        if tenant is not None:
            tenant_ids = {tenant.pk}
        else:  # all the user's tenants together (every tenant's for the operator), with a chooser
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
            "selected": str(tenant.pk) if tenant is not None else "",
            "days": len(figures.per_day),
        }
        return TemplateResponse(request, "admin/search/usage_statistics.html", context)
