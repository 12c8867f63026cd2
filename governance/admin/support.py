"""Admin for support access: support staff ask, the tenant's admins decide, everyone sees the log.

Thin: forms parse, governance.support decides. Support staff see their own requests; a tenant
admin sees and decides their tenant's; the operator reads them all and decides none.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from governance import second_factor
from governance.admin.base import OperatorOnlyAdmin, TenantPageMixin, TenantScopedAdmin, request_scope
from governance.admin.humane import people_by_label, person
from governance.datamap import Category
from governance.models import AccessRequest, AuditEvent, SupportStaff, Tenant
from governance.support import grants, workflow


class AccessRequestForm(forms.ModelForm):
    """What support staff fill in to ask."""

    categories = forms.MultipleChoiceField(
        choices=grants.scope_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Whole categories of the tenant's content.",
    )
    objects = forms.CharField(
        label="named objects",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hours = forms.IntegerField(min_value=1, max_value=grants.MAX_HOURS, initial=4, label="hours asked")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = ", ".join(grants.nameable_models())
        self.fields["objects"].help_text = f"One per line, type:id, e.g. search.searchjob:3f2a… (types: {types})."

    class Meta:
        model = AccessRequest
        fields = ("tenant", "ticket", "reason_code", "reason_text")

    def clean_objects(self):
        pairs = []
        for line in self.cleaned_data["objects"].splitlines():
            if not line.strip():
                continue
            label, sep, pk = line.strip().partition(":")
            if not sep or not pk.strip():
                raise forms.ValidationError("Write each object as type:id.")
            pairs.append((label, pk))
        return pairs


@admin.register(AccessRequest)
class AccessRequestAdmin(TenantPageMixin, TenantScopedAdmin):
    list_display = ("id", "tenant", "ticket", "requester_label", "status", "hours_requested", "created_at", "approved_until")
    list_filter = ("status", "reason_code")
    change_list_template = "admin/governance/accessrequest/change_list.html"
    change_form_template = "admin/governance/accessrequest/change_form.html"
    detail_fields = (
        "tenant", "requester_label", "ticket", "reason_code", "reason_text", "scope", "hours_requested", "status",
        "created_at", "answer_by", "decided_by_label", "decided_at", "decision_comment", "hours_granted",
        "approved_until", "ended_at", "accesses",
    )  # fmt: skip

    # --- who sees what ---------------------------------------------------------------------------
    # Tenant admins see and decide ("change") their tenant's requests; support staff see and open
    # their own; the operator reads all and decides none (governance.support re-checks every rule).
    operator_can = ("view",)
    tenant_admin_can = ("view", "change")
    support_can = ("view", "add")
    tenant_pages = ("governance_accessrequest_transparency",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tenant", "requester", "decided_by")

    def support_rows(self, request, queryset):
        return queryset.filter(requester_id=request.user.pk)

    # --- forms -----------------------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AccessRequestForm
        else:
            kwargs["fields"] = ()  # the request is read; decisions are the buttons (decide_view)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("tenant", "ticket", "reason_code", "reason_text", "categories", "objects", "hours")
        return self.detail_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.detail_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tenant":
            # Support staff ask a tenant they do not see yet: the choice is every tenant's name.
            return db_field.formfield(queryset=Tenant.objects.order_by("slug"), **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing on the page is edited: decisions go through decide_view
        data = form.cleaned_data
        try:
            created = workflow.open_request(
                requester=request.user,
                tenant=data["tenant"],
                ticket=data["ticket"],
                reason_code=data["reason_code"],
                reason_text=data["reason_text"],
                hours=data["hours"],
                categories=data["categories"],
                objects=data["objects"],
            )
            obj.__dict__.update(created.__dict__)
        except grants.SupportError as exc:
            request._support_refusal = exc

    # --- the one place a tenant admin's decision is taken --------------------------------------------

    def decide_view(self, request, object_id):
        """Approve (for the hours asked or fewer), deny with a reason, or revoke a live grant."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if request.method != "POST" or not self.has_change_permission(request, obj):
            raise PermissionDenied
        post, actor = request.POST, request.user
        decision = post.get("decision", "")
        try:
            if decision == "approve":
                second_factor.require_second_factor(request=request)
                hours = post.get("grant_hours", "").strip()
                if hours and not hours.isdigit():
                    raise grants.SupportError("Hours must be a whole number.", code="invalid_duration", status=400)
                workflow.approve(request=obj, actor=actor, hours=int(hours) if hours else None, comment=post.get("comment", ""))
            elif decision == "deny":
                workflow.deny(request=obj, actor=actor, comment=post.get("comment", ""))
            elif decision == "revoke":
                workflow.revoke(request=obj, actor=actor, comment=post.get("comment", ""))
            else:
                raise grants.SupportError("Choose Approve, Deny or Revoke.", code="invalid")
        except (grants.SupportError, second_factor.SecondFactorRequired) as exc:
            self.message_user(request, f"{exc.detail} ({exc.code})", messages.ERROR)
        else:
            obj.refresh_from_db()
            self.message_user(request, f"Request #{obj.pk} is now {obj.get_status_display().lower()}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:governance_accessrequest_change", args=[obj.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False,
                 "show_save_and_add_another": False, "show_delete": False}
        return super().change_view(request, object_id, form_url, extra)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            from django.utils import timezone

            now = timezone.now()
            scope = request_scope(request)
            decides = obj.tenant_id in scope.tenant_ids and obj.requester_id != request.user.pk
            context.update(
                can_decide=decides and obj.status == AccessRequest.Status.PENDING and obj.answer_by > now,
                can_revoke=decides and obj.status == AccessRequest.Status.APPROVED and obj.approved_until > now,
                decide_url=reverse("admin:governance_accessrequest_decide", args=[obj.pk]),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_related(self, request, form, formsets, change):
        pass

    def log_addition(self, request, obj, message):
        if obj.pk:
            return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if refusal := getattr(request, "_support_refusal", None):
            self.message_user(request, f"{refusal.detail} ({refusal.code})", messages.ERROR)
            return HttpResponseRedirect(request.path)
        self.message_user(request, f"Request #{obj.pk} sent to the tenant's admins.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:governance_accessrequest_change", args=[obj.pk]))

    def response_change(self, request, obj):
        return HttpResponseRedirect(request.path)

    # --- display ---------------------------------------------------------------------------------

    @admin.display(description="requested by")
    def requester_label(self, obj):
        return _person(obj.requester)

    @admin.display(description="decided by")
    def decided_by_label(self, obj):
        return _person(obj.decided_by) if obj.decided_by_id else "-"

    @admin.display(description="scope")
    def scope(self, obj):
        parts = [dict(Category.choices).get(c, c) for c in obj.scope_categories]
        parts += [f"{o['type']} {o['id']}" for o in obj.scope_objects]
        return format_html_join(", ", "{}", ((p,) for p in parts)) or "-"

    @admin.display(description="accesses under this request")
    def accesses(self, obj):
        events = AuditEvent.objects.filter(
            tenant_id=obj.tenant_id, action="support.content_viewed", metadata__request=obj.pk
        ).order_by("id")
        rows = [(e.created_at.strftime("%Y-%m-%d %H:%M:%S"), e.target_type, e.target_id, ", ".join(e.metadata.get("fields", []))) for e in events]
        if not rows:
            return "none"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} {} {} ({})</li>", rows))

    # --- the tenant's access-transparency page ---------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view(self.transparency_view)
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path("transparency/", view, name="governance_accessrequest_transparency"),
            path("<path:object_id>/decide/", decide, name="governance_accessrequest_decide"),
            *super().get_urls(),
        ]

    def transparency_view(self, request):
        tenants = self.page_tenants(request)
        chosen = self.page_tenant(request)
        tenant_ids = [chosen.pk] if chosen is not None else list(tenants.values_list("pk", flat=True))
        if not tenant_ids:
            return HttpResponseRedirect(reverse("admin:index"))
        requests = AccessRequest.objects.filter(tenant_id__in=tenant_ids).select_related("tenant", "requester", "decided_by")
        events = list(workflow.transparency_events(tenant_ids)[:500])
        people = _people_by_label(e.actor for e in events)
        context = {
            **self.admin_site.each_context(request),
            "title": "Support access transparency",
            "opts": self.model._meta,
            "tenants": tenants if tenants.count() > 1 else None,
            "tenant": chosen,
            "requests": [(r, _person(r.requester), _person(r.decided_by) if r.decided_by_id else "") for r in requests],
            "events": [(e, people.get(e.actor, e.actor)) for e in events],
        }
        return TemplateResponse(request, "admin/governance/accessrequest/transparency.html", context)


_person, _people_by_label = person, people_by_label


@admin.register(SupportStaff)
class SupportStaffAdmin(OperatorOnlyAdmin):
    """The operator names support staff (manage.py add_support_staff does the same)."""

    operator_can = ("view", "change")
    list_display = ("id", "user", "active", "created_at")
    readonly_fields = ("user", "created_at")
