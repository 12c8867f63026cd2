"""Admin pages for the generative-AI terms: the operator writes and publishes versions; a tenant
admin reads the current version and its subprocessors and accepts or revokes on one page."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse

from governance import consent, impact, transfers
from governance.admin.base import OperatorOnlyAdmin, OperatorOnlyInline, ReadOnlyAdmin, TenantPageAdmin
from governance.admin.humane import CONSENT_WORDS
from governance.errors import SightguardError
from governance.models import (
    ConsentOverview,
    ConsentRecord,
    Subprocessor,
    TermsVersion,
    TransferStatistics,
)
from governance.tenancy import scoping


class SubprocessorInline(OperatorOnlyInline):
    model = Subprocessor
    operator_can = ("view", "add", "change", "delete")
    fields = ("provider_key", "company", "service", "purpose", "trust_url")

    def _allowed(self, request, action, obj=None):
        # A published version's subprocessors are what tenants accepted: read-only.
        draft = obj is None or obj.published_at is None
        return super()._allowed(request, action, obj) and (action == "view" or draft)


@admin.register(TermsVersion)
class TermsVersionAdmin(OperatorOnlyAdmin):
    """Operator only. Drafts are edited here; "Publish" makes a draft the version to accept."""

    operator_can = ("view", "add", "change", "delete")
    list_display = ("version", "published_at", "requires_reacceptance", "providers")
    fields = ("version", "requires_reacceptance", "text", "published_at")
    readonly_fields = ("published_at",)
    inlines = [SubprocessorInline]
    actions = ["publish"]

    @admin.display(description="subprocessors")
    def providers(self, obj):
        return ", ".join(str(s) for s in obj.subprocessors.all())

    def _allowed(self, request, action, obj=None):
        # A published version is evidence tenants accepted: never edited or deleted; drafts are
        # deleted one by one.
        if action == "delete" and obj is None:
            return False
        if action in ("change", "delete") and obj is not None and obj.published_at is not None:
            return False
        return super()._allowed(request, action, obj)

    def get_actions(self, request):
        return super().get_actions(request) if scoping.is_operator(request.user) else {}

    @admin.action(description="Publish the selected draft versions… (a page shows whom it stops first)")
    def publish(self, request, queryset):
        drafts = list(queryset.filter(published_at__isnull=True).order_by("id"))
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Publish these terms?",
                "opts": self.model._meta,
                "drafts": [(terms, impact.publication_impact(terms=terms)) for terms in drafts],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/governance/terms_publish.html", context)
        for terms in drafts:
            consent.publish(terms=terms, actor=request.user)
            self.message_user(request, f"Published terms version {terms.version}.", messages.SUCCESS)


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    """The consent history: who accepted which version when, and any revocation."""

    list_display = ("id", "tenant", "terms", "accepted_by", "accepted_at", "revoked_at")
    list_select_related = ("tenant", "terms", "revocation")

    @admin.display(description="revoked at")
    def revoked_at(self, obj):
        revocation = getattr(obj, "revocation", None)
        return revocation.revoked_at if revocation else None


@admin.register(ConsentOverview)
class ConsentOverviewAdmin(TenantPageAdmin):
    """The page tenant admins accept and revoke on; the operator sees each tenant's status only."""

    def page_view(self, request, *, tenant):
        user = request.user
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "AI terms and consent"}
        tenants = self.page_tenants(request)
        if scoping.is_operator(user):  # status per tenant, no content, no actions
            shown = [tenant] if tenant is not None else tenants
            context["overview"] = [(t, consent.consent_status(tenant=t)) for t in shown]
            context["overview"] = [(t, st, CONSENT_WORDS.get(st.status, st.status)) for t, st in context["overview"]]
            context["current"] = consent.current_terms()
            return TemplateResponse(request, "admin/governance/consent.html", context)
        context["tenants"] = tenants if tenants.count() > 1 else None
        if tenant is None:  # several tenants and none chosen yet: the chooser only
            if request.method == "POST":
                raise Http404
            return TemplateResponse(request, "admin/governance/consent.html", context)
        if request.method == "POST":
            try:
                if request.POST.get("action") == "accept":
                    if request.POST.get("confirm") != "yes":
                        raise SightguardError("Tick the box to confirm you accept the terms.", code="not_confirmed")
                    consent.accept(tenant=tenant, version=request.POST.get("version", ""), actor=user)
                    self.message_user(request, "You accepted the terms. Image search may now use the providers they name.", messages.SUCCESS)
                elif request.POST.get("action") == "revoke":
                    if request.POST.get("confirmed") != "yes":  # first what it stops, then the decision
                        context.update(title="Revoke consent?", tenant=tenant, impact=impact.revocation_impact(tenant=tenant))
                        return TemplateResponse(request, "admin/governance/consent_revoke.html", context)
                    consent.revoke(tenant=tenant, actor=user)
                    self.message_user(request, "Consent revoked: nothing more is sent to any provider.", messages.WARNING)
                else:
                    raise SightguardError("Unknown action.", code="invalid")
            except SightguardError as exc:
                self.message_user(request, f"{exc.detail} ({exc.code})", messages.ERROR)
            return HttpResponseRedirect(f"{request.path}?tenant={tenant.pk}")
        status = consent.consent_status(tenant=tenant)
        context.update(
            tenant=tenant,
            status=status,
            status_words=CONSENT_WORDS.get(status.status, status.status),
            current=status.current,
            subprocessors=list(status.current.subprocessors.all()) if status.current else [],
            history=ConsentRecord.objects.filter(tenant=tenant).select_related("terms", "revocation")[:20],
            can_accept=status.current is not None and not (
                status.status == consent.Status.ACCEPTED and status.record.terms_id == status.current.pk
            ),
            can_revoke=status.record is not None and status.status != consent.Status.REVOKED,
        )
        return TemplateResponse(request, "admin/governance/consent.html", context)


@admin.register(TransferStatistics)
class TransferStatisticsAdmin(TenantPageAdmin):
    """Calls and bytes sent to each sub-processor per day: tenant admins for their tenants, the operator all."""

    def page_view(self, request, *, tenant):
        tenants = self.page_tenants(request)
        if tenant is not None:
            tenant_ids = {tenant.pk}
        else:
            tenant_ids = None if scoping.is_operator(request.user) else set(tenants.values_list("pk", flat=True))
        try:
            days = min(max(int(request.GET.get("days", 30)), 1), 366)
        except ValueError:
            days = 30
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Transfers to sub-processors",
            "rows": transfers.per_day(tenant_ids=tenant_ids, days=days),
            "tenants": tenants if tenants.count() > 1 else None,
            "selected": str(tenant.pk) if tenant is not None else "",
            "days": days,
        }
        return TemplateResponse(request, "admin/governance/transfers.html", context)
