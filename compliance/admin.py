"""Review of data-subject requests in the Django admin (tenant admins see their tenant's queue)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from governance import second_factor
from governance.admin.base import ReadOnlyAdmin, TenantScopedAdmin
from governance.errors import SightguardError

from . import deadlines, metrics, preview, review
from .models import DataSubjectRequest, DenialReason, SaleOptOut


class DeadlineFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("due_soon", "Due within 7 days")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return deadlines.overdue(queryset)
        if self.value() == "due_soon":
            return deadlines.due_soon(queryset)
        return queryset


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(TenantScopedAdmin):
    # Nobody adds or deletes here: requests come from the subject; records are kept 24 months,
    # then removed by retention.
    tenant_admin_can = ("view", "change")
    operator_can = ("view", "change")
    actions = ["approve"]
    list_display = ["reference", "tenant", "kind", "status", "due", "progress", "received_at"]
    list_filter = [DeadlineFilter, "status", "kind", "regime", "source"]
    search_fields = ["=reference"]
    change_list_template = "admin/compliance/datasubjectrequest/change_list.html"
    change_form_template = "admin/compliance/datasubjectrequest/change_form.html"
    # The subject's e-mail is customer content: the tenant's admins see it on the change page,
    # support staff only under a live grant (audited), the operator never; list pages never show it.
    content_fields = ("email",)
    readonly_fields = [
        "reference", "tenant", "email", "kind", "regime", "source", "status", "received_at", "verified_at", "ack_due_at",
        "acknowledged_at", "due_at", "extended_at", "closed_at", "denial_reason", "reviewed_by", "reviewed_at",
        "progress_done", "progress_total", "proof", "error_code",
    ]
    fields = readonly_fields

    @admin.display(description="due", ordering="due_at")
    def due(self, obj):
        if obj.is_overdue:
            return format_html('<strong class="overdue" style="color:#a00">{} (overdue)</strong>', f"{obj.due_at:%Y-%m-%d}")
        return f"{obj.due_at:%Y-%m-%d}"

    @admin.display(description="progress")
    def progress(self, obj):
        return f"{obj.progress_done}/{obj.progress_total}" if obj.progress_total else "-"

    @admin.action(description="Approve the selected requests… (a confirmation page lists them first)")
    def approve(self, request, queryset):
        """Bulk approval only through a page listing each request and what it will touch."""
        try:
            second_factor.require_second_factor(request=request)
        except SightguardError as exc:
            self.message_user(request, f"{exc.detail} ({exc.code})", messages.ERROR)
            return None
        chosen = list(queryset.select_related("tenant").order_by("due_at"))
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Approve these requests?",
                "opts": self.model._meta,
                "previews": [preview.preview(request=obj) for obj in chosen],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/compliance/datasubjectrequest/approve_many.html", context)
        for obj in chosen:
            self._decide(request, obj, "approve")

    # --- the one place a reviewer's decision is taken ----------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.decide_view)
        return [path("<path:object_id>/decide/", view, name="compliance_datasubjectrequest_decide"), *super().get_urls()]

    def decide_view(self, request, object_id):
        """Approve (after a preview and a confirmation), deny with a reason, or extend the deadline."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        decision = request.POST.get("decision") or request.GET.get("decision", "")
        change_url = reverse("admin:compliance_datasubjectrequest_change", args=[obj.pk])
        if decision == "approve" and not (request.method == "POST" and request.POST.get("confirmed") == "yes"):
            context = {
                **self.admin_site.each_context(request),
                "title": f"Approve {obj.get_kind_display().lower()} request {obj.reference}?",
                "opts": self.model._meta,
                "original": obj,
                "preview": preview.preview(request=obj),
                "change_url": change_url,
            }
            return TemplateResponse(request, "admin/compliance/datasubjectrequest/approve.html", context)
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        self._decide(request, obj, decision)
        return HttpResponseRedirect(change_url)

    def _decide(self, request, obj, decision: str) -> None:
        post, actor = request.POST, request.user
        try:
            if decision == "approve":
                second_factor.require_second_factor(request=request)
                review.approve(request=obj, actor=actor)
                done = "approved: the work has started"
            elif decision == "deny":
                review.deny(request=obj, actor=actor, reason=post.get("denial_reason", ""), text=post.get("reason_text", ""))
                done = "denied; the requester is told why"
            elif decision == "extend":
                review.extend(request=obj, actor=actor, reason=post.get("extension_reason", post.get("reason_text", "")))
                done = "extended; the requester is told why"
            else:
                raise SightguardError("Choose Approve, Deny or Extend.", code="invalid")
        except SightguardError as exc:
            self.message_user(request, f"{obj.reference}: {exc.detail} ({exc.code})", messages.ERROR)
            return
        self.message_user(request, f"{obj.reference} {done}.", messages.SUCCESS)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            **(extra_context or {}),
            "show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False,
            "show_delete": False, "denial_reasons": DenialReason.choices,
        }
        return super().change_view(request, object_id, form_url, extra)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                can_decide=self.has_change_permission(request, obj),
                can_approve=obj.status == DataSubjectRequest.Status.OPEN and obj.kind in review.WORK_KINDS,
                can_deny=obj.status not in DataSubjectRequest.CLOSED and obj.status != DataSubjectRequest.Status.IN_PROGRESS,
                can_extend=obj.status not in DataSubjectRequest.CLOSED and obj.extended_at is None and obj.due_at > timezone.now(),
                decide_url=reverse("admin:compliance_datasubjectrequest_decide", args=[obj.pk]),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        figures = metrics.summary(self.get_queryset(request))
        return super().changelist_view(request, {**(extra_context or {}), "dsr_metrics": figures, "now": timezone.now()})


@admin.register(SaleOptOut)
class SaleOptOutAdmin(ReadOnlyAdmin):
    """Opt-outs of sale/sharing in force (form, API, DRP agent or a GPC signal); the subject is a blind index."""

    list_display = ("created_at", "tenant", "source")
    list_filter = ("source",)
