"""The one scoping function, the tenant path of each model, and the checks that hold every admin
and API view to the scoped bases."""

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.urls import include, path
from rest_framework import mixins, viewsets
from rest_framework.routers import SimpleRouter

from governance import checks
from governance.admin.base import OperatorOnlyAdmin, TenantScopedAdmin
from governance.api.scoped import TenantScopedAPIMixin
from governance.models import (
    ApiKey,
    IssuedLink,
    LegalHold,
    RetentionPolicy,
    SupportStaff,
    SweepRun,
    Tenant,
    TermsVersion,
    User,
)
from governance.tenancy import scoping
from search.models import Document, SearchJob
from search.serializers import DocumentSerializer
from tests.governance.support.fixtures import grant, make_job, sam  # noqa: F401


def test_each_model_has_its_tenant_path_or_none():
    assert scoping.tenant_path(LegalHold) == "tenant"
    assert scoping.tenant_path(IssuedLink) == "object__tenant"
    assert scoping.tenant_path(Tenant) == "pk"
    for platform in (TermsVersion, RetentionPolicy, SweepRun, SupportStaff, User):
        assert scoping.tenant_path(platform) is None, platform


def test_the_operator_sees_every_tenant(acme, globex, operator):
    scope = scoping.tenant_scope(user=operator)
    assert set(scope.tenants()) == {acme, globex}
    assert scope.sees_tenant(acme.pk) and scope.sees_tenant(globex.pk)


def test_a_tenant_admin_sees_only_the_tenants_they_administer(alice, charlie):
    scope = scoping.tenant_scope(user=alice.user)
    assert list(scope.tenants()) == [alice.tenant]
    assert not scope.sees_tenant(charlie.tenant.pk)
    assert list(scope.rows(ApiKey.objects.all()).values_list("tenant_id", flat=True).distinct()) == [alice.tenant.pk]


def test_a_member_sees_nothing_in_the_admin_and_their_keys_tenant_through_the_api(bob, charlie):
    assert scoping.tenant_scope(user=bob.user) == scoping.NOTHING
    through_api = scoping.tenant_scope(user=bob.user, api_tenant=bob.tenant)
    assert list(through_api.tenants()) == [bob.tenant]
    assert not through_api.sees_tenant(charlie.tenant.pk)


def test_support_staff_see_only_what_a_live_grant_covers(sam, alice, bob, charlie):
    job = make_job(bob, context="c", description="d")
    before = scoping.tenant_scope(user=sam)
    assert before.support and not before.granted_ids and not before.tenant_ids
    assert not before.rows(SearchJob.objects.all()).exists()
    grant(sam, alice, objects=[job])
    after = scoping.tenant_scope(user=sam)
    assert after.granted_ids == {alice.tenant.pk}
    assert not after.sees_tenant(alice.tenant.pk)  # a grant opens rows, never the whole tenant
    assert not after.sees_tenant(charlie.tenant.pk)


def test_a_platform_model_has_no_rows_for_anyone_but_the_operator(alice, operator):
    assert not scoping.tenant_scope(user=alice.user).rows(TermsVersion.objects.all()).exists()
    assert scoping.tenant_scope(user=operator).rows(TermsVersion.objects.all()).exists()


def test_the_project_passes_its_scoping_checks():
    assert checks.tenant_scoping_check() == []


def test_an_admin_of_tenant_rows_outside_the_scoped_base_fails_the_check():
    site = AdminSite(name="throwaway")

    @admin.register(LegalHold, site=site)
    class HandWritten(admin.ModelAdmin):
        def has_view_permission(self, request, obj=None):
            return True

    @admin.register(Document, site=site)
    class Scoped(TenantScopedAdmin):
        pass

    @admin.register(TermsVersion, site=site)
    class Platform(admin.ModelAdmin):
        pass

    @admin.register(SweepRun, site=site)
    class OperatorsOnly(OperatorOnlyAdmin):
        pass

    errors = checks.admin_scoping_errors(site=site)
    assert sorted((e.id, e.obj) for e in errors) == sorted(
        [("sightguard.E201", HandWritten), ("sightguard.E203", Platform)]
    )


def test_an_api_view_of_tenant_rows_outside_the_scoped_base_fails_the_check():
    class Unscoped(mixins.ListModelMixin, viewsets.GenericViewSet):
        queryset = Document.objects.all()
        serializer_class = DocumentSerializer

    class Scoped(TenantScopedAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
        queryset = Document.objects.all()
        serializer_class = DocumentSerializer

    router = SimpleRouter()
    router.register("unscoped", Unscoped, basename="unscoped")
    router.register("scoped", Scoped, basename="scoped")
    errors = checks.api_scoping_errors(urlpatterns=[path("api/", include(router.urls))])
    assert [(e.id, e.obj) for e in errors] == [("sightguard.E202", Unscoped)]


def test_the_scoped_api_base_lists_nothing_without_a_tenant(rf, alice):
    class Scoped(TenantScopedAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
        queryset = ApiKey.objects.all()

    view = Scoped()
    view.request = rf.get("/")
    view.request.user = alice.user
    assert not view.get_queryset().exists()
    view.request.tenant = alice.tenant
    assert set(view.get_queryset().values_list("tenant_id", flat=True)) == {alice.tenant.pk}
