"""Every registered admin of a tenant-owned model, against every outsider (the matrix).

The admins are read from admin.site._registry, so a new admin is covered the day it is
registered: it needs an acme row in `acme_rows` below, or `test_every_tenant_admin_has_a_row`
fails. For each admin: acme's admin (alice) sees acme's row; another tenant's admin (charlie),
support staff without a grant (sam) see none of it — not in the changelist, its filters or
autocomplete, and its change page is a 404; a member (dave, not staff) gets the login page; the
operator sees rows but never their content. Page-only views: `?tenant=` of another tenant, an
unknown id or a non-number is a 404.
"""

import uuid
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from compliance.models import (
    CallbackDelivery,
    DataSubjectRequest,
    DrpAgent,
    DrpRequest,
    OpenDsrController,
    OpenDsrRequest,
    SaleOptOut,
)
from governance import audit, consent
from governance.admin.base import HIDDEN_CONTENT, TenantPageAdmin, TenantPageMixin, TenantScopedAdmin
from governance.models import (
    AccessRequest,
    ApiKey,
    AuditEvent,
    ConsentRecord,
    IssuedLink,
    LegalHold,
    Membership,
    RetentionRun,
    StoredObject,
    Tenant,
    TenantRetentionRule,
)
from governance.retention import holds
from governance.storage import objectstore
from governance.tenancy import scoping
from search.documents import add_document
from search.models import Document, SearchJob, UsageEvent
from tests.governance.support.fixtures import ask, make_archive, make_job, make_support, sam  # noqa: F401

TENANT_ADMINS = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if scoping.is_tenant_owned(model)
    ),
    key=lambda pair: pair[0]._meta.label,
)
ROW_ADMINS = [(m, a) for m, a in TENANT_ADMINS if not isinstance(a, TenantPageAdmin)]
PAGES = sorted(
    (type(a).__name__, name)
    for a in admin.site._registry.values()
    if isinstance(a, TenantPageMixin)
    for name in a.tenant_pages
)


def ids(pairs):
    return [m._meta.label for m, _ in pairs]


def _request_as(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url_of(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def acme_rows(acme, alice, bob, db) -> dict:
    """One acme row of every tenant-owned model that has an admin (and globex has its own)."""
    sue = make_support("sue")
    job = make_job(bob, context="CTX-acme-secret", description="DESC-acme-secret")
    archive = make_archive(acme, b"acme")
    objectstore.link(archive, actor=alice.user)
    terms = consent.current_terms()
    record = consent.accept(tenant=acme, version=terms.version, actor=alice.user) if terms else None
    due = timezone.now() + timedelta(days=30)

    def dsr():
        return DataSubjectRequest.objects.create(
            tenant=acme, kind="erasure", regime="gdpr", source="api", email="erin@acme.example",
            subject_index=uuid.uuid4().hex, status="open", due_at=due,
        )  # fmt: skip

    agent = DrpAgent.objects.create(tenant=acme, agent_id="acme-agent", business_id="acme-biz", verify_key="k")
    controller = OpenDsrController.objects.create(tenant=acme, controller_id="acme-cdp", token_hash=uuid.uuid4().hex)
    request = dsr()
    rows = {
        Tenant: acme,
        Membership: alice.membership,
        ApiKey: ApiKey.objects.filter(tenant=acme).first(),
        AuditEvent: audit.record(action="test.marker", actor=alice.user, tenant=acme.pk, target=acme),
        ConsentRecord: record,
        TenantRetentionRule: TenantRetentionRule.objects.create(
            tenant=acme, category="usage_events", max_age=timedelta(days=400), action="delete"
        ),
        LegalHold: holds.set_hold(tenant=acme, scope="object", reason="case acme", actor=alice.user,
                                  object_type="search.searchjob", object_id=str(job.pk)),  # fmt: skip
        RetentionRun: RetentionRun.objects.create(tenant=acme, dry_run=True, actor="test"),
        StoredObject: archive,
        IssuedLink: IssuedLink.objects.filter(object=archive).first(),
        AccessRequest: ask(sue, acme, categories=["search_text"]),
        SearchJob: job,
        UsageEvent: UsageEvent.objects.create(tenant=acme, provider="offline", used_context=True, outcome="done"),
        DataSubjectRequest: request,
        SaleOptOut: SaleOptOut.objects.create(tenant=acme, subject_index=uuid.uuid4().hex, source="form"),
        DrpAgent: agent,
        OpenDsrController: controller,
        DrpRequest: DrpRequest.objects.create(request=dsr(), tenant=acme, agent=agent, exercise="sale:opt-out"),
        OpenDsrRequest: OpenDsrRequest.objects.create(
            request=dsr(), tenant=acme, controller=controller, subject_request_id=uuid.uuid4(),
            regulation="gdpr", request_type="erasure", submitted_time=timezone.now(),
        ),  # fmt: skip
        CallbackDelivery: CallbackDelivery.objects.create(
            tenant=acme, request=request, protocol="drp", url="https://agent.example/acme", payload={}
        ),
        Document: add_document(tenant=acme, actor=alice.user, title="Acme gearbox manual", text="acme gearbox"),
    }
    return {model: row for model, row in rows.items() if row is not None}


@pytest.fixture
def outsiders(charlie, dave, sam, operator):
    return {"charlie": charlie.user, "dave": dave.user, "sam": sam, "operator": operator}


def test_every_tenant_admin_has_a_row(acme_rows):
    missing = [m._meta.label for m, _ in ROW_ADMINS if m not in acme_rows]
    assert not missing, f"add an acme row for {missing} to acme_rows"


def _acme_rows_in(response, acme) -> list:
    changelist = response.context["cl"]
    path = scoping.tenant_path(changelist.model)
    return list(changelist.queryset.filter(**{path: acme.pk}).values_list("pk", flat=True))


def _missing_pk(model):
    return uuid.uuid4() if isinstance(model._meta.pk, models.UUIDField) else 2**31 - 1


@pytest.mark.parametrize("model,model_admin", ROW_ADMINS, ids=ids(ROW_ADMINS))
def test_an_outsider_sees_nothing_of_acme(model, model_admin, acme, alice, acme_rows, outsiders):
    assert isinstance(model_admin, TenantScopedAdmin)
    row = acme_rows[model]
    changelist, change = url_of(model, "changelist"), url_of(model, "change", row.pk)
    missing = url_of(model, "change", _missing_pk(model))
    failures = []

    owner = logged_in(alice.user)
    if "view" in model_admin.tenant_admin_can:
        listing = owner.get(changelist)
        if listing.status_code != 200 or row.pk not in _acme_rows_in(listing, acme):
            failures.append(f"alice: acme's row missing from {changelist} ({listing.status_code})")
        if owner.get(change).status_code != 200:
            failures.append(f"alice: {change} not shown")

    for name, user in outsiders.items():
        client = logged_in(user)
        listing, page = client.get(changelist), client.get(change)
        if name == "dave":  # a member is not staff: the admin is the login page
            if listing.status_code != 302 or page.status_code != 302 or "/admin/login/" not in page["Location"]:
                failures.append(f"dave: {listing.status_code}/{page.status_code} instead of the login page")
            continue
        if name == "operator" and "view" in model_admin.operator_can:
            if page.status_code != 200:
                failures.append(f"operator: {change} is {page.status_code}")
            elif model_admin.content_fields and HIDDEN_CONTENT not in page.content.decode():
                failures.append(f"operator: content of {change} not hidden")
            continue
        # acme's row and a row that does not exist look the same: a 404 (a 403 only where the
        # whole model is closed to this user, whatever the id)
        closed = not model_admin.has_view_permission(_request_as(user))
        expected = 403 if closed else 404
        if page.status_code != expected or client.get(missing).status_code != expected:
            failures.append(f"{name}: {change} is {page.status_code}, not {expected} as for a missing row")
        if listing.status_code == 200:
            if _acme_rows_in(listing, acme):
                failures.append(f"{name}: acme rows in {changelist}")
            if "acme" in listing.content.decode().lower():  # rows, filters, counts: no trace
                failures.append(f"{name}: 'acme' appears on {changelist}")
        elif listing.status_code != 403:
            failures.append(f"{name}: {changelist} is {listing.status_code}")
        if name == "operator":  # the operator sees every tenant by design
            continue
        for field in model._meta.fields:
            if not field.is_relation or field.related_model not in admin.site._registry:
                continue
            if not admin.site._registry[field.related_model].search_fields:
                continue
            found = client.get(
                "/admin/autocomplete/",
                {"app_label": model._meta.app_label, "model_name": model._meta.model_name,
                 "field_name": field.name, "term": "acme"},
            )  # fmt: skip
            if found.status_code == 200 and found.json()["results"]:
                failures.append(f"{name}: autocomplete of {field.name} lists {found.json()['results']}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("admin_name,url_name", PAGES, ids=[f"{a}:{u}" for a, u in PAGES])
def test_a_tenant_page_is_a_404_for_any_tenant_but_ones_own(admin_name, url_name, alice, charlie, dave, sam):
    url = reverse(f"admin:{url_name}")
    owner = logged_in(alice.user)
    assert owner.get(url).status_code == 200
    assert owner.get(url, {"tenant": alice.tenant.pk}).status_code == 200
    for wanted in (charlie.tenant.pk, 999999, "abc", "-1"):
        assert owner.get(url, {"tenant": wanted}).status_code == 404, wanted
    assert logged_in(charlie.user).get(url, {"tenant": alice.tenant.pk}).status_code == 404
    assert logged_in(sam).get(url, {"tenant": alice.tenant.pk}).status_code in (403, 404)
    member = logged_in(dave.user).get(url, {"tenant": dave.tenant.pk})
    assert member.status_code == 302 and "/admin/login/" in member["Location"]


def test_a_tenant_page_offers_a_chooser_to_the_admin_of_several_tenants(alice, charlie):
    from governance.tenancy.tenants import add_member

    add_member(tenant=charlie.tenant, email="alice@acme.example", role=Membership.Role.ADMIN)
    client = logged_in(alice.user)
    for _, url_name in PAGES:
        url = reverse(f"admin:{url_name}")
        page = client.get(url)
        assert page.status_code == 200
        assert f'value="{charlie.tenant.pk}"' in page.content.decode()  # a chooser, no silent first pick
        assert client.get(url, {"tenant": charlie.tenant.pk}).status_code == 200
    consent_page = client.get(reverse("admin:governance_consentoverview_changelist")).content.decode()
    assert "Generative-AI terms for" not in consent_page
