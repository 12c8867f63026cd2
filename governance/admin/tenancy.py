from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from governance.admin.base import OperatorOnlyAdmin, ReadOnlyAdmin, TenantScopedAdmin
from governance.admin.humane import person
from governance.errors import SightguardError
from governance.models import (
    ApiKey,
    Membership,
    Tenant,
    User,
)
from governance.tenancy import keys, offboarding, scoping, tenants

admin.site.site_header = "Sightguard"
admin.site.site_title = "Sightguard"
admin.site.index_template = "admin/console_index.html"  # the home is a console (governance.dashboard)


class TenantForm(forms.ModelForm):
    slug = forms.CharField(max_length=50, label="short name", help_text="Used in URLs: lowercase letters, digits, hyphens.")

    class Meta:
        model = Tenant
        fields = ("slug", "name", "face_blur", "retain_cleaned_images_days")

    def clean_slug(self):
        try:
            return tenants.check_slug(self.cleaned_data["slug"])
        except SightguardError as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from None


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    """The operator creates and edits tenants; a tenant admin sees and edits only their own settings.
    Nobody deletes here: a tenant's data goes through retention and erasure, never a cascade."""

    operator_concept = True

    operator_can = ("view", "add", "change")
    tenant_admin_can = ("view", "change")
    form = TenantForm
    list_display = ("slug", "name", "face_blur", "retain_cleaned_images_days", "created_at")
    search_fields = ("slug", "name")
    ordering = ("slug",)

    actions = ["offboard"]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)  # created_at records history: read-only
        return readonly if scoping.is_operator(request.user) else ("slug", *readonly)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not scoping.is_operator(request.user):
            actions.pop("offboard", None)
        return actions

    @admin.action(description="Offboard: delete all of the tenant's data (asks for confirmation)")
    def offboard(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Offboard one tenant at a time.", messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:governance_tenant_offboard", args=[queryset.get().pk]))

    def get_urls(self):
        view = self.admin_site.admin_view(self.offboard_view)
        return [path("<int:pk>/offboard/", view, name="governance_tenant_offboard"), *super().get_urls()]

    def offboard_view(self, request, pk):
        """The confirmation page: what goes, what stays; a POST with the slug typed again does it."""
        if not scoping.is_operator(request.user):
            raise PermissionDenied
        tenant = get_object_or_404(Tenant, pk=pk)
        error, certificate = "", None
        if request.method == "POST":
            if request.POST.get("confirm_slug") != tenant.slug:
                error = "Type the tenant's slug to confirm."
            else:
                try:
                    certificate = offboarding.offboard(slug=tenant.slug, actor=request.user)
                except offboarding.OffboardingRefused as exc:
                    error = f"{exc.detail} ({exc.code})"
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": f"Offboard {tenant.slug}",
            "tenant": tenant, "plan": offboarding.inventory(slug=tenant.slug), "error": error,
            "certificate": certificate,
        }
        return TemplateResponse(request, "admin/governance/offboard.html", context)


@admin.register(User)
class UserAdmin(OperatorOnlyAdmin):
    """Accounts are the operator's; they are created by create_tenant / add_member."""

    operator_can = ("view", "change")
    list_display = ("email", "is_staff", "is_superuser", "is_active", "date_joined")
    fields = ("email", "is_active", "is_staff", "is_superuser", "date_joined", "last_login")
    readonly_fields = ("date_joined", "last_login")


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ("member", "tenant", "role", "created_at")
    list_select_related = ("user", "tenant")

    @admin.display(description="person")
    def member(self, obj):
        return person(obj.user)
    list_filter = ("role",)
    tenant_admin_can = ("view", "change")
    readonly_fields = ("tenant", "user", "created_at")


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("prefix", "tenant", "holder", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("user", "tenant")

    @admin.display(description="person")
    def holder(self, obj):
        return person(obj.user)
    exclude = ("key_hash",)
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "key_hash"]

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request, queryset):
        for key in queryset:
            keys.revoke_key(key=key, actor=request.user)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)
