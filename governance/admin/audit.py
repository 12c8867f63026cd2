"""The audit logs, read-only, scoped to the tenants a user administers: the events, and a page per
tenant's log with its newest signed checkpoint, the export, proofs and the standalone verifier."""

import json
from pathlib import Path

from django.contrib import admin
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from governance import audit
from governance.admin.base import ReadOnlyAdmin, TenantPageMixin
from governance.admin.humane import people_by_label
from governance.models import AuditCheckpoint, AuditEvent


def _json_download(data: dict, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data, indent=1), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(AuditEvent)
class AuditEventAdmin(TenantPageMixin, ReadOnlyAdmin):
    list_display = ("id", "created_at", "tenant", "who", "action", "target_type", "target_id", "proof_link")
    list_filter = ("action",)
    exclude = ()
    tenant_pages = (
        "governance_auditevent_log",
    )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("log/", wrap(self.log_view), name="governance_auditevent_log"),
            path("log/checkpoint/", wrap(self.checkpoint_view), name="governance_auditevent_log_checkpoint"),
            path("log/export/", wrap(self.export_view), name="governance_auditevent_log_export"),
            path("log/consistency/", wrap(self.consistency_view), name="governance_auditevent_log_consistency"),
            path("log/verifier/", wrap(self.verifier_view), name="governance_auditevent_log_verifier"),
            path("<path:object_id>/proof/", wrap(self.proof_view), name="governance_auditevent_proof"),
            *super().get_urls(),
        ]

    @admin.display(description="who", ordering="actor")
    def who(self, obj):
        return getattr(obj, "_who", obj.actor)

    def get_changelist_instance(self, request):
        cl = super().get_changelist_instance(request)
        people = people_by_label({e.actor for e in cl.result_list})  # one query for the page's people
        for event in cl.result_list:
            event._who = people.get(event.actor, event.actor)
        return cl

    @admin.display(description="proof")
    def proof_link(self, obj):
        return format_html('<a href="{}">inclusion proof</a>', reverse("admin:governance_auditevent_proof", args=[obj.pk]))

    def _log(self, request):
        if not self.has_view_permission(request):
            raise Http404
        tenant = self.page_tenant(request)
        return tenant, (audit.log_for(tenant=tenant) if tenant is not None else None)

    def _checkpoint(self, tenant) -> tuple[AuditCheckpoint, object]:
        """The newest checkpoint of the tenant's log (sealing first) and the log; 404 without one."""
        checkpoint = audit.current_checkpoint(tenant=tenant) if tenant is not None else None
        if checkpoint is None:
            raise Http404
        return checkpoint, audit.log_for(tenant=tenant)

    def log_view(self, request):
        tenant, log = self._log(request)
        if tenant is not None:
            audit.current_checkpoint(tenant=tenant)
            log = audit.log_for(tenant=tenant)
        tenants = self.page_tenants(request)
        if not tenants.exists():
            return HttpResponseRedirect(reverse("admin:index"))
        checkpoint = audit.newest_checkpoint(log=log) if log else None
        context = {
            **self.admin_site.each_context(request),
            "title": "Audit log: checkpoints, proofs, verifier",
            "opts": self.model._meta,
            "tenants": tenants if tenants.count() > 1 else None,
            "tenant": tenant,
            "log": log,
            "checkpoint": checkpoint,
            "history": AuditCheckpoint.objects.filter(log=log).order_by("-id")[:20] if log else [],
            "verifier_key": audit.verifier_key(),
        }
        return TemplateResponse(request, "admin/governance/auditevent/log.html", context)

    def checkpoint_view(self, request):
        checkpoint, log = self._checkpoint(self._log(request)[0])
        return _json_download(audit.checkpoint_document(checkpoint, log=log), f"checkpoint-{checkpoint.size}.json")

    def export_view(self, request):
        checkpoint, log = self._checkpoint(self._log(request)[0])
        response = StreamingHttpResponse(audit.export_lines(log=log, size=checkpoint.size), content_type="application/x-ndjson")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{checkpoint.size}.jsonl"'
        return response

    def consistency_view(self, request):
        tenant, log = self._log(request)
        if log is None:
            raise Http404
        old, new = request.GET.get("old", ""), request.GET.get("new", "")
        try:
            proof = audit.consistency_proof(log=log, old_size=int(old), new_size=int(new))
        except ValueError:
            return HttpResponse("invalid_size: old and new are tree sizes of this log, 0 < old ≤ new", status=400)
        return _json_download(proof, f"consistency-{old}-{new}.json")

    def verifier_view(self, request):
        if not self.has_view_permission(request):
            raise Http404
        path_ = Path(audit.tree.__file__)
        return FileResponse(path_.open("rb"), as_attachment=True, filename="audit_verifier.py", content_type="text/x-python")

    def proof_view(self, request, object_id):
        event = self.get_object(request, object_id)  # scoped: another tenant's event is a 404
        if event is None or event.tenant_id is None or not self.has_view_permission(request, event):
            raise Http404
        checkpoint, _ = self._checkpoint(event.tenant_id)
        try:
            proof = audit.inclusion_proof(event=event, checkpoint=checkpoint)
        except LookupError:
            return HttpResponse("not_yet_sealed: no checkpoint covers this event yet; try again in a few seconds", status=409)
        return _json_download(proof, f"inclusion-{event.pk}-{checkpoint.size}.json")
