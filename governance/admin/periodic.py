"""Periodic work (the operator's): each task of the beat schedule, its last run, its lag, "run now"."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from governance import audit, periodic
from governance.admin.base import OperatorOnlyAdmin
from governance.models import PeriodicTaskRun


@admin.register(PeriodicTaskRun)
class PeriodicTaskRunAdmin(OperatorOnlyAdmin):
    operator_can = ("view",)  # and "run now", which changes no row of this model (audited)

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            name = request.POST.get("run")
            if name not in periodic.schedule():
                raise PermissionDenied
            audit.record(action="periodic.run_now", actor=request.user, metadata={"task": periodic.schedule()[name][0]})
            periodic.run_now(name=name)
            self.message_user(request, f"Queued one run of “{name}”.", messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": "Periodic tasks",
            "opts": self.model._meta,
            "runs": periodic.periodic_runs(),
        }
        return TemplateResponse(request, "admin/governance/periodic_runs.html", context)
