"""Admin for retention rules, legal holds and retention runs (imported from governance/admin.py).

Thin: forms check with the domain's validators, saves go through governance.retention and
governance.retention.holds (which audit), the dry run is one call to enforce.would_go.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path

from governance.admin.base import (
    OperatorOnlyAdmin,
    OperatorOnlyInline,
    ReadOnlyAdmin,
    TenantPageMixin,
    TenantScopedAdmin,
    changed_fields,
)
from governance.admin.humane import duration_words, person
from governance.errors import SightguardError
from governance.models import (
    LegalHold,
    RetentionPolicy,
    RetentionProgress,
    RetentionRun,
    TenantRetentionRule,
)
from governance.retention import enforce, holds, rules
from governance.tenancy import scoping


def _preview(modeladmin, request, pairs, *, tenants=None):
    """Render the dry run for (tenant or None, category) pairs the user may see (`tenants`: a chooser)."""
    rows = []
    for tenant, category in pairs:
        rows += enforce.would_go(tenant=tenant, category=category, actor=request.user)
    rows = [r for r in rows if r["count"] or r["note"] not in ("", "no_rule")]
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Retention dry run: what would go now",
        "rows": rows,
        "total": sum(r["count"] for r in rows),
        "opts": modeladmin.model._meta,
        "tenants": tenants,
        "selected": request.GET.get("tenant", ""),
    }
    return TemplateResponse(request, "admin/governance/retention_preview.html", context)


# --- platform defaults (operator) ----------------------------------------------------------------


class RetentionPolicyForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = ("category", "max_age", "action", "enabled", "min_age", "max_age_bound", "tenant_may_override", "description")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            rules.check_policy(
                category=data["category"],
                max_age=data["max_age"],
                action=data["action"],
                min_age=data["min_age"],
                max_age_bound=data.get("max_age_bound"),
            )
        except SightguardError as exc:
            self.add_error("max_age" if exc.code == "retention_out_of_bounds" else None, ValidationError(exc.detail, code=exc.code))
        return data


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(TenantPageMixin, OperatorOnlyAdmin):
    """Operators set the defaults; tenant admins read them (and their bounds) and may preview."""

    operator_concept = True

    operator_can = ("view", "add", "change")
    tenant_admin_can = ("view",)
    form = RetentionPolicyForm
    list_display = ("category", "keep_for", "action", "enabled", "bounds", "tenant_may_override", "description")

    @admin.display(description="kept for", ordering="max_age")
    def keep_for(self, obj):
        return duration_words(obj.max_age)

    @admin.display(description="a tenant may choose")
    def bounds(self, obj):
        return f"{duration_words(obj.min_age)} … {duration_words(obj.max_age_bound)}"
    actions = ["dry_run"]

    def get_actions(self, request):
        return super().get_actions(request) if self.has_view_permission(request) else {}

    def save_model(self, request, obj, form, change):
        rules.save_policy(policy=obj, actor=request.user, fields=changed_fields(form))

    @admin.action(description="Dry run: list what retention would delete now")
    def dry_run(self, request, queryset):
        return _preview(self, request, self._pairs(request, categories=[p.category for p in queryset]))

    # The dry run as a page of its own: ?tenant= (one of the user's) and ?category= (repeatable).
    tenant_pages = ("governance_retentionpolicy_preview",)

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        return [path("preview/", view, name=self.tenant_pages[0]), *super().get_urls()]

    def preview_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        known = list(RetentionPolicy.objects.order_by("category").values_list("category", flat=True))
        wanted = request.GET.getlist("category")
        if any(c not in known for c in wanted):
            raise Http404
        tenants = self.page_tenants(request)
        chooser = tenants if tenants.count() > 1 else None
        return _preview(self, request, self._pairs(request, categories=wanted or known), tenants=chooser)

    def _pairs(self, request, *, categories) -> list:
        """(tenant or None for all, category) pairs this user may preview."""
        tenant = self.page_tenant(request)
        if request.GET.get("tenant"):
            return [(tenant, c) for c in categories]
        if scoping.is_operator(request.user):
            return [(None, c) for c in categories]
        return [(t, c) for t in self.page_tenants(request) for c in categories]


# --- tenant overrides (tenant admins) ------------------------------------------------------------


class TenantRetentionRuleForm(forms.ModelForm):
    class Meta:
        model = TenantRetentionRule
        fields = ("tenant", "category", "max_age", "action", "enabled")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            rules.check_tenant_rule(
                category=data.get("category", self.instance.category),  # read-only once the rule exists
                max_age=data["max_age"], action=data["action"], enabled=data["enabled"],
            )
        except SightguardError as exc:
            self.add_error("max_age" if exc.code == "retention_out_of_bounds" else None, ValidationError(exc.detail, code=exc.code))
        return data


@admin.register(TenantRetentionRule)
class TenantRetentionRuleAdmin(TenantScopedAdmin):
    form = TenantRetentionRuleForm
    list_display = ("tenant", "category", "keep_for", "action", "enabled", "platform_bounds")
    list_filter = ("category",)
    tenant_admin_can = ("view", "add", "change", "delete")
    operator_can = ("view",)  # the operator sets the defaults; overrides are the tenant's
    actions = ["dry_run"]

    @admin.display(description="kept for", ordering="max_age")
    def keep_for(self, obj):
        return duration_words(obj.max_age)

    @admin.display(description="allowed")
    def platform_bounds(self, obj):
        policy = RetentionPolicy.objects.filter(category=obj.category).first()
        if policy is None:
            return "-"
        return f"{duration_words(policy.min_age)} … {duration_words(policy.max_age_bound)}"

    @admin.display(description="what it covers")
    def explanation(self, obj):
        policy = RetentionPolicy.objects.filter(category=obj.category).first()
        return policy.description if policy else ""

    def get_readonly_fields(self, request, obj=None):
        return ("tenant", "category") if obj is not None else ()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # removals go one by one, each audited
        return actions if self.has_view_permission(request) else {}

    def save_model(self, request, obj, form, change):
        rules.save_tenant_rule(rule=obj, actor=request.user, fields=changed_fields(form))

    def delete_model(self, request, obj):
        rules.delete_tenant_rule(rule=obj, actor=request.user)

    @admin.action(description="Dry run: list what retention would delete now")
    def dry_run(self, request, queryset):
        return _preview(self, request, [(rule.tenant, rule.category) for rule in queryset.select_related("tenant")])


# --- legal holds ---------------------------------------------------------------------------------


class LegalHoldForm(forms.ModelForm):
    subject_email = forms.EmailField(
        required=False, help_text="For a subject hold: the person's e-mail. Only its keyed hash (blind index) is stored."
    )

    class Meta:
        model = LegalHold
        fields = ("tenant", "scope", "subject_email", "object_type", "object_id", "reason")
        help_texts = {"reason": "Why the data must be kept (case, authority). Encrypted at rest."}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.hold_fields = holds.check_hold(
                scope=data["scope"],
                reason=data.get("reason", ""),
                subject_email=data.get("subject_email", ""),
                object_type=data.get("object_type", ""),
                object_id=data.get("object_id", ""),
            )
        except SightguardError as exc:
            raise ValidationError(exc.detail, code=exc.code) from exc
        return data


@admin.register(LegalHold)
class LegalHoldAdmin(TenantScopedAdmin):
    """Holds are set (add) and released (action); never edited or deleted, so the record stays."""

    form = LegalHoldForm
    list_display = ("id", "tenant", "scope", "object_type", "object_id", "set_by", "created_at", "released_at")

    @admin.display(description="set by", ordering="created_by")
    def set_by(self, obj):
        return person(obj.created_by) if obj.created_by_id else "-"
    list_filter = ("scope", ("released_at", admin.EmptyFieldListFilter))
    tenant_admin_can = ("view", "add")
    operator_can = ("view", "add")
    actions = ["release"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("tenant", "scope", "subject_email", "object_type", "object_id", "reason")
        return ("tenant", "scope", "subject_index", "object_type", "object_id", "reason", "created_by", "created_at",
                "released_at", "released_by")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else ()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions if self.has_view_permission(request) else {}

    def save_model(self, request, obj, form, change):
        hold = holds.set_hold(
            tenant=form.cleaned_data["tenant"],
            scope=form.cleaned_data["scope"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
            subject_email=form.cleaned_data.get("subject_email", ""),
            object_type=form.cleaned_data.get("object_type", ""),
            object_id=form.cleaned_data.get("object_id", ""),
        )
        obj.pk = hold.pk
        obj._state.adding = False

    @admin.action(description="Release selected legal holds")
    def release(self, request, queryset):
        released = 0
        for hold in queryset:  # already scoped to the tenants this user administers
            released += holds.release_hold(hold=hold, actor=request.user)
        self.message_user(request, f"Released {released} hold(s).", messages.SUCCESS)


# --- runs ----------------------------------------------------------------------------------------


class RetentionProgressInline(OperatorOnlyInline):
    model = RetentionProgress
    fields = ("category", "target", "tenant", "action", "processed", "done", "note", "cursor")
    readonly_fields = fields
    can_delete = False


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    tenant_admin_can = ()  # runs are platform housekeeping across tenants: the operator's
    list_display = ("id", "started_at", "status", "dry_run", "tenant", "category", "duration_seconds", "resumed", "actor")
    list_filter = ("status", "dry_run")
    inlines = [RetentionProgressInline]
