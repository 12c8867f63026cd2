"""Every admin change form of a governed model writes one audit event in its transaction, naming
the fields changed and never their values; timestamps that record history cannot be typed."""

import base64
from datetime import timedelta

import nacl.signing
import pytest
from django.contrib import admin
from django.forms import MultiWidget
from django.test import Client
from django.utils import timezone

from compliance.models import DataSubjectRequest, DrpAgent, OpenDsrController
from compliance.requests import file_request
from governance.admin.base import OperatorOnlyAdmin, TenantScopedAdmin
from governance.checks import OWN_APPS
from governance.models import (
    AccessRequest,
    AuditEvent,
    RetentionPolicy,
    SupportStaff,
    Tenant,
    TenantRetentionRule,
    TermsVersion,
    User,
)
from governance.support import workflow
from tests.governance.support.fixtures import make_support

pytestmark = pytest.mark.django_db
MARKER = "PLANTED-MARKER-value"
VERIFY_KEY = base64.b64encode(bytes(nacl.signing.SigningKey.generate().verify_key)).decode()


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(response) -> dict:
    """What a browser would post back unchanged: the form's and each inline's current values."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field.widget, MultiWidget):  # days and hours
                for i, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{i}"] = "" if part is None else str(part)
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, (list, tuple)):
                data[key] = [str(v) for v in value]
            elif isinstance(value, timedelta):
                data[key] = str(value)
            elif value is not None:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


# Each admin whose change form someone may use: (make the row, who changes it, the field, the new
# value, the action expected). A new admin that allows "change" fails test_every_changeable_admin_has_a_case
# until it has a case here.
def _tenant(ctx):
    return ctx["acme"], ctx["alice"], "face_blur", None, "tenant.changed"


def _tenant_retention(ctx):
    return ctx["acme"], ctx["alice"], "retain_cleaned_images_days", "30", "tenant.changed"


def _user(ctx):
    return ctx["bob"].user, ctx["operator"], "is_active", None, "user.changed"


def _membership(ctx):
    return ctx["bob"].membership, ctx["alice"], "role", "admin", "membership.changed"


def _policy(ctx):
    policy = RetentionPolicy.objects.order_by("category").first()
    return policy, ctx["operator"], "description", "Kept while useful.", "retention.policy_set"


def _tenant_rule(ctx):
    policy = next(p for p in RetentionPolicy.objects.filter(tenant_may_override=True, enabled=True).order_by("category")
                  if p.min_age < p.max_age)
    rule = TenantRetentionRule.objects.create(tenant=ctx["acme"], category=policy.category, max_age=policy.max_age,
                                              action=policy.action, enabled=True)
    days, rest = divmod(int(policy.min_age.total_seconds()), 86400)
    new = {"max_age_0": str(days), "max_age_1": str(rest // 3600), "max_age_2": str(rest % 3600 // 60)}
    return rule, ctx["alice"], "max_age", new, "retention.rule_changed"


def _terms(ctx):
    draft = TermsVersion.objects.create(version="draft-9", text="Draft terms.")
    return draft, ctx["operator"], "text", "Draft terms, second reading.", "termsversion.changed"


def _support_staff(ctx):
    make_support("sam")
    return SupportStaff.objects.get(), ctx["operator"], "active", None, "supportstaff.changed"


def _drp_agent(ctx):
    agent = DrpAgent.objects.create(tenant=ctx["acme"], agent_id="AGENT1", business_id="ACME", verify_key=VERIFY_KEY)
    return agent, ctx["operator"], "name", "Consumer Reports", "drp.agent_changed"


def _controller(ctx):
    controller = OpenDsrController.objects.create(tenant=ctx["acme"], controller_id="ctl-1", token_hash="0" * 64)
    return controller, ctx["operator"], "name", "Acme's controller", "opendsr.controller_changed"


def _request(ctx):
    request = file_request(tenant=ctx["acme"], kind="access", regime="gdpr", email=f"{MARKER}@example.com",
                           source="form", verified=True)
    return request, ctx["alice"], None, None, "privacy_request.denial_reason"


def _access_request(ctx):
    make_support("sam")
    sam = User.objects.get(is_staff=True, support_profile__isnull=False)
    request = workflow.open_request(requester=sam, tenant=ctx["acme"], ticket="SUP-1", reason_code="customer_reported_bug",
                                    reason_text="Wrong description.", hours=4, categories=["search_text"])
    return request, ctx["alice"], None, None, "support.approved"


CASES = {
    "tenant": _tenant,
    "tenant-retention": _tenant_retention,
    "user": _user,
    "membership": _membership,
    "retentionpolicy": _policy,
    "tenantretentionrule": _tenant_rule,
    "termsversion": _terms,
    "supportstaff": _support_staff,
    "drpagent": _drp_agent,
    "opendsrcontroller": _controller,
    "datasubjectrequest": _request,
    "accessrequest": _access_request,
}


def changeable_models() -> set[str]:
    names = set()
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OWN_APPS:
            continue
        can = set(getattr(model_admin, "operator_can", ())) | set(getattr(model_admin, "tenant_admin_can", ()))
        if isinstance(model_admin, (TenantScopedAdmin, OperatorOnlyAdmin)) and "change" in can:
            names.add(model._meta.model_name)
    return names


def test_every_changeable_admin_has_a_case():
    assert changeable_models() == {name.split("-")[0] for name in CASES}


@pytest.fixture
def ctx(acme, alice, bob, operator):
    return {"acme": acme, "alice": alice.user, "bob": bob, "operator": operator}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_change_through_the_admin_writes_one_event_naming_the_field(case, ctx, django_capture_on_commit_callbacks):
    obj, actor, field, value, action = CASES[case](ctx)
    url = f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"
    client = web(actor)
    page = client.get(url)
    assert page.status_code == 200
    before = AuditEvent.objects.count()
    if field is None:  # a decision page: its buttons post to the one view that decides
        url, data = url.replace("/change/", "/decide/"), _decision(obj)
    else:
        data = form_data(page)
        if value is None:  # a box: flip it
            key = field
            data.pop(key) if key in data else data.__setitem__(key, "on")
        elif isinstance(value, dict):
            data.update(value)
        else:
            data[field] = value
        data["_save"] = "Save"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    events = list(AuditEvent.objects.order_by("id")[before:])
    if field is None:  # a decision: the domain's events (status, reason), all about this row
        assert action in [e.action for e in events]
    else:
        assert [e.action for e in events] == [action]
        assert field in events[0].metadata["fields"]
    for event in events:
        assert event.target_id == str(obj.pk)
        assert event.actor == f"user:{actor.pk}"
        assert MARKER not in str(event.metadata) and "@" not in str(event.metadata)


def _decision(obj):
    if isinstance(obj, DataSubjectRequest):
        return {"decision": "deny", "denial_reason": "no_match", "reason_text": "We could not tell."}
    if isinstance(obj, AccessRequest):
        return {"decision": "approve", "grant_hours": "2", "comment": "Go ahead."}
    raise AssertionError(obj)


def test_history_timestamps_are_read_only(client, acme, alice, operator):
    for user in (alice.user, operator):
        page = web(user).get(f"/admin/governance/tenant/{acme.pk}/change/").content.decode()
        assert 'name="created_at' not in page
    backdated = timezone.now() - timedelta(days=900)
    data = {"name": "Acme", "face_blur": "on", "retain_cleaned_images_days": "0", "created_at_0": "2020-01-01",
            "created_at_1": "00:00:00"}
    web(operator).post(f"/admin/governance/tenant/{acme.pk}/change/", {**data, "slug": "acme", "_save": "Save"})
    assert Tenant.objects.get(pk=acme.pk).created_at > backdated


def test_a_saved_page_without_changes_writes_nothing(acme, alice):
    client = web(alice.user)
    url = f"/admin/governance/tenant/{acme.pk}/change/"
    before = AuditEvent.objects.count()
    client.post(url, {**form_data(client.get(url)), "_save": "Save"})
    assert AuditEvent.objects.count() == before


def test_durations_read_and_are_typed_as_days_hours_and_minutes_with_errors_on_the_field(acme, alice):
    from governance.admin.humane import DaysHoursField, duration_words

    assert duration_words(timedelta(days=2555)) == "2555 days"
    assert duration_words(timedelta(hours=1)) == "1 hour" and duration_words(timedelta(minutes=5)) == "5 minutes"
    field = DaysHoursField()
    assert field.clean(["30", "6", "0"]) == timedelta(days=30, hours=6)
    with pytest.raises(Exception, match="Hours must be a whole number"):
        field.clean(["1", "x", "0"])
    page = web(alice.user).get("/admin/governance/tenantretentionrule/add/").content.decode()
    assert 'name="max_age_0"' in page and ">days</label>" in page
    assert f'type="hidden" name="tenant" value="{acme.pk}"' in page  # never asked for their one tenant
