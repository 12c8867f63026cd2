"""Admin pages of the protocol endpoints, on governance's tenant-scoped bases.

The operator registers DRP agents (their verify keys) and OpenDSR controllers (a token is shown
once, when issued); tenant admins see their own. Protocol requests and callbacks are
read-only records.
"""

from django.contrib import admin, messages
from django.utils import timezone

from compliance.models import (
    CallbackDelivery,
    DrpAgent,
    DrpRequest,
    DrpToken,
    OpenDsrController,
    OpenDsrRequest,
)
from governance import audit
from governance.admin.base import ReadOnlyAdmin, TenantScopedAdmin

from . import opendsr


@admin.register(DrpAgent)
class DrpAgentAdmin(TenantScopedAdmin):

    operator_concept = True
    operator_can = ("view", "add", "change")
    list_display = ("agent_id", "business_id", "tenant", "active", "live_tokens", "created_at")
    list_filter = ("active",)
    search_fields = ("agent_id", "business_id")
    ordering = ("agent_id", "business_id")
    fields = ("tenant", "agent_id", "business_id", "name", "verify_key", "active")
    actions = ("revoke_tokens",)

    @admin.display(description="live tokens")
    def live_tokens(self, obj):
        return obj.tokens.filter(revoked_at__isnull=True).count()

    audit_actions = {"added": "drp.agent_registered", "changed": "drp.agent_changed"}

    @admin.action(description="Revoke the agents' bearer tokens (they must pair again)")
    def revoke_tokens(self, request, queryset):
        for agent in queryset:
            if DrpToken.objects.filter(agent=agent, revoked_at__isnull=True).update(revoked_at=timezone.now()):
                audit.record(action="drp.tokens_revoked", actor=request.user, tenant=agent.tenant_id, target=agent)
        messages.success(request, "Tokens revoked.")


@admin.register(OpenDsrController)
class OpenDsrControllerAdmin(TenantScopedAdmin):

    operator_concept = True
    operator_can = ("view", "add", "change")
    list_display = ("controller_id", "name", "tenant", "active", "created_at")
    list_filter = ("active",)
    fields = ("tenant", "controller_id", "name", "active")
    actions = ("issue_token",)
    audit_actions = {"added": "opendsr.controller_registered", "changed": "opendsr.controller_changed"}

    def save_model(self, request, obj, form, change):
        token = None
        if not change:
            token, obj.token_hash = opendsr.new_token()
        super().save_model(request, obj, form, change)  # audited by the base, on its fields
        if token:
            messages.warning(request, f"Bearer token for {obj.controller_id} (shown once, store it now): {token}")

    @admin.action(description="Issue a new bearer token (the old one stops working)")
    def issue_token(self, request, queryset):
        for controller in queryset:
            token, controller.token_hash = opendsr.new_token()
            controller.save(update_fields=["token_hash"])
            audit.record(
                action="opendsr.token_issued", actor=request.user, tenant=controller.tenant_id, target=controller
            )
            messages.warning(request, f"Bearer token for {controller.controller_id} (shown once): {token}")


@admin.register(DrpRequest)
class DrpRequestAdmin(ReadOnlyAdmin):

    operator_concept = True
    list_display = ("request", "tenant", "agent", "exercise", "agent_request_id", "last_status_sent")
    list_filter = ("exercise",)


@admin.register(OpenDsrRequest)
class OpenDsrRequestAdmin(ReadOnlyAdmin):

    operator_concept = True
    list_display = ("subject_request_id", "tenant", "controller", "regulation", "request_type", "last_status_sent")
    list_filter = ("regulation", "request_type")


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(ReadOnlyAdmin):

    operator_concept = True
    list_display = ("created_at", "tenant", "protocol", "state", "attempts", "last_http_status", "last_error")
    list_filter = ("protocol", "state")

