"""Review of data-subject requests in the Django admin (tenant admins see their tenant's queue)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils import timezone
from django.utils.html import format_html

from governance import second_factor
from governance.admin.base import ReadOnlyAdmin, TenantScopedAdmin
from governance.errors import SightguardError

from . import deadlines, metrics, review
from .models import DataSubjectRequest, DenialReason, SaleOptOut


class ReviewActionForm(ActionForm):
    denial_reason = forms.ChoiceField(choices=[("", "(denial reason)")] + DenialReason.choices, required=False)
    reason_text = forms.CharField(required=False, max_length=2000, label="Reason (sent to the requester)")


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
    action_form = ReviewActionForm
    actions = ["approve", "deny", "extend"]
    list_display = ["reference", "tenant", "kind", "regime", "source", "status", "due", "progress", "received_at"]
    list_filter = [DeadlineFilter, "status", "kind", "regime", "source"]
    search_fields = ["=reference"]
    change_list_template = "admin/compliance/datasubjectrequest/change_list.html"
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

    def _each(self, request, queryset, call, done):
        ok = 0
        for obj in queryset:
            try:
                call(obj)
                ok += 1
            except SightguardError as exc:
                self.message_user(request, f"{obj.reference}: {exc.detail} ({exc.code})", messages.ERROR)
        if ok:
            self.message_user(request, f"{ok} request(s) {done}.", messages.SUCCESS)

    @admin.action(description="Approve (start the export or erasure)")
    def approve(self, request, queryset):
        try:
            second_factor.require_second_factor(request=request)
        except SightguardError as exc:
            self.message_user(request, f"{exc.detail} ({exc.code})", messages.ERROR)
            return
        self._each(request, queryset, lambda obj: review.approve(request=obj, actor=request.user), "approved")

    @admin.action(description="Deny (choose a reason, add text; e-mailed to the requester)")
    def deny(self, request, queryset):
        reason, text = request.POST.get("denial_reason", ""), request.POST.get("reason_text", "")
        self._each(request, queryset, lambda obj: review.deny(request=obj, actor=request.user, reason=reason, text=text), "denied")

    @admin.action(description="Extend the deadline (reason required; e-mailed to the requester)")
    def extend(self, request, queryset):
        reason = request.POST.get("reason_text", "")
        self._each(request, queryset, lambda obj: review.extend(request=obj, actor=request.user, reason=reason), "extended")

    def changelist_view(self, request, extra_context=None):
        figures = metrics.summary(self.get_queryset(request))
        return super().changelist_view(request, {**(extra_context or {}), "dsr_metrics": figures, "now": timezone.now()})


@admin.register(SaleOptOut)
class SaleOptOutAdmin(ReadOnlyAdmin):
    """Opt-outs of sale/sharing in force (form, API, DRP agent or a GPC signal); the subject is a blind index."""

    list_display = ("created_at", "tenant", "source")
    list_filter = ("source",)
