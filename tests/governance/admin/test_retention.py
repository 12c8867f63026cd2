"""Admin for retention rules, legal holds and runs: owners, outsiders, the operator."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.crypto import blind_index
from governance.models import (
    AuditEvent,
    LegalHold,
    RetentionPolicy,
    RetentionRun,
    TenantRetentionRule,
)
from search.models import UsageEvent

pytestmark = pytest.mark.django_db

RULES = "/admin/governance/tenantretentionrule/"
POLICIES = "/admin/governance/retentionpolicy/"
HOLDS = "/admin/governance/legalhold/"
RUNS = "/admin/governance/retentionrun/"


def as_user(client, user):
    client.force_login(user)
    return client


def old_usage(tenant, n=1):
    for _ in range(n):
        UsageEvent.objects.create(
            tenant=tenant, created_at=timezone.now() - timedelta(days=500), provider="offline", used_context=False, outcome="done"
        )


def rule_form(tenant, **extra):
    return {"tenant": tenant.pk, "category": "usage_events", "max_age_0": "60", "max_age_1": "0", "action": "delete", "enabled": "on", **extra}


# --- tenant overrides ----------------------------------------------------------------------------


def test_a_tenant_admin_sets_an_override_in_bounds_and_it_is_audited(client, alice):
    response = as_user(client, alice.user).post(f"{RULES}add/", rule_form(alice.tenant))
    assert response.status_code == 302, response.content
    rule = TenantRetentionRule.objects.get()
    assert (rule.tenant, rule.max_age) == (alice.tenant, timedelta(days=60))
    assert AuditEvent.objects.filter(action="retention.rule_set", tenant=alice.tenant, actor=f"user:{alice.user.pk}").exists()


def test_an_override_out_of_bounds_is_refused_with_the_reason(client, alice):
    response = as_user(client, alice.user).post(f"{RULES}add/", rule_form(alice.tenant, max_age_0="5"))
    assert response.status_code == 200
    assert "must lie between" in response.content.decode()
    assert not TenantRetentionRule.objects.exists()


def test_a_tenant_admin_cannot_set_a_rule_for_another_tenant(client, alice, globex):
    response = as_user(client, alice.user).post(f"{RULES}add/", rule_form(globex))
    assert response.status_code == 200  # the form refuses the choice
    assert not TenantRetentionRule.objects.exists()


def test_other_tenants_rules_are_invisible_and_untouchable(client, alice, charlie):
    rule = TenantRetentionRule.objects.create(tenant=alice.tenant, category="usage_events", max_age=timedelta(days=60))
    c = as_user(client, charlie.user)
    assert list(c.get(RULES).context["cl"].queryset) == []
    assert c.get(f"{RULES}{rule.pk}/change/").status_code == 404
    c.post(f"{RULES}{rule.pk}/change/", {"max_age_0": "30", "max_age_1": "0", "action": "delete", "enabled": "on"})
    c.post(f"{RULES}{rule.pk}/delete/", {"post": "yes"})
    rule.refresh_from_db()
    assert rule.max_age == timedelta(days=60)


def test_a_member_and_the_operator_cannot_set_tenant_rules(client, bob, alice, operator):
    assert as_user(client, bob.user).get(RULES).status_code == 302  # not staff: to the login page
    client.logout()
    c = as_user(client, operator)
    assert c.get(RULES).status_code == 200
    assert c.post(f"{RULES}add/", rule_form(alice.tenant)).status_code == 403
    assert not TenantRetentionRule.objects.exists()


def test_removing_an_override_is_audited(client, alice):
    rule = TenantRetentionRule.objects.create(tenant=alice.tenant, category="usage_events", max_age=timedelta(days=60))
    response = as_user(client, alice.user).post(f"{RULES}{rule.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TenantRetentionRule.objects.exists()
    assert AuditEvent.objects.filter(action="retention.rule_removed", tenant=alice.tenant).exists()


# --- platform defaults ---------------------------------------------------------------------------


def test_the_operator_changes_a_default_within_its_bounds(client, operator):
    policy = RetentionPolicy.objects.get(category="usage_events")
    data = {
        "category": "usage_events", "max_age_0": "200", "max_age_1": "0", "action": "delete", "enabled": "on",
        "min_age_0": "30", "min_age_1": "0", "max_age_bound_0": "750", "max_age_bound_1": "0", "tenant_may_override": "on", "description": policy.description,
    }
    assert as_user(client, operator).post(f"{POLICIES}{policy.pk}/change/", data).status_code == 302
    policy.refresh_from_db()
    assert policy.max_age == timedelta(days=200)
    assert AuditEvent.objects.filter(action="retention.policy_set").exists()
    data["max_age_0"] = "800"
    assert client.post(f"{POLICIES}{policy.pk}/change/", data).status_code == 200  # outside its own bounds


def test_tenant_admins_read_the_defaults_and_their_explanations_but_cannot_change_them(client, alice):
    c = as_user(client, alice.user)
    page = c.get(POLICIES).content.decode()
    assert "CCPA regs 7101" in page  # each default explained
    policy = RetentionPolicy.objects.get(category="usage_events")
    c.post(f"{POLICIES}{policy.pk}/change/", {"category": "usage_events", "max_age_0": "1", "max_age_1": "0", "action": "delete", "min_age_0": "1", "min_age_1": "0"})
    policy.refresh_from_db()
    assert policy.max_age == timedelta(days=395)


def test_a_member_sees_no_defaults(client, bob):
    assert as_user(client, bob.user).get(POLICIES).status_code == 302


# --- the dry run as an admin action --------------------------------------------------------------


def test_the_dry_run_action_lists_the_tenants_items_only_and_deletes_nothing(client, alice, globex):
    old_usage(alice.tenant, 2)
    old_usage(globex, 5)
    policy = RetentionPolicy.objects.get(category="usage_events")
    response = as_user(client, alice.user).post(POLICIES, {"action": "dry_run", "_selected_action": [policy.pk]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 item(s) would go" in page and "acme" in page and "globex" not in page
    assert UsageEvent.objects.count() == 7
    assert RetentionRun.objects.get().dry_run is True


def test_the_operator_dry_run_covers_every_tenant(client, operator, acme, globex):
    old_usage(acme, 2)
    old_usage(globex, 5)
    policy = RetentionPolicy.objects.get(category="usage_events")
    page = as_user(client, operator).post(POLICIES, {"action": "dry_run", "_selected_action": [policy.pk]}).content.decode()
    assert "7 item(s) would go" in page
    assert UsageEvent.objects.count() == 7


def test_the_dry_run_page_shows_one_of_ones_own_tenants_and_404s_any_other(client, alice, charlie, operator):
    old_usage(alice.tenant, 2)
    old_usage(charlie.tenant, 5)
    preview = POLICIES + "preview/"
    page = as_user(client, alice.user).get(preview, {"category": "usage_events"}).content.decode()
    assert "2 item(s) would go" in page and "globex" not in page
    for wanted in (charlie.tenant.pk, 999999, "acme"):
        assert as_user(client, alice.user).get(preview, {"tenant": wanted}).status_code == 404
    assert as_user(client, alice.user).get(preview, {"category": "no_such_category"}).status_code == 404
    globex_only = {"category": "usage_events", "tenant": charlie.tenant.pk}
    assert "5 item(s) would go" in as_user(client, operator).get(preview, globex_only).content.decode()
    assert UsageEvent.objects.count() == 7


def test_the_dry_run_from_an_override_uses_the_tenants_rule(client, alice):
    rule = TenantRetentionRule.objects.create(tenant=alice.tenant, category="usage_events", max_age=timedelta(days=30))
    UsageEvent.objects.create(tenant=alice.tenant, created_at=timezone.now() - timedelta(days=40), provider="x", used_context=False, outcome="done")
    page = as_user(client, alice.user).post(RULES, {"action": "dry_run", "_selected_action": [rule.pk]}).content.decode()
    assert "1 item(s) would go" in page
    assert UsageEvent.objects.count() == 1


# --- legal holds ---------------------------------------------------------------------------------


def test_a_tenant_admin_sets_a_subject_hold_stored_as_a_blind_index_and_audited(client, alice):
    response = as_user(client, alice.user).post(
        f"{HOLDS}add/",
        {"tenant": alice.tenant.pk, "scope": "subject", "subject_email": "bob@acme.example", "reason": "Case 2026-04, court order"},
    )
    assert response.status_code == 302, response.content
    hold = LegalHold.objects.get()
    assert hold.subject_index == blind_index("bob@acme.example") and hold.created_by == alice.user
    assert hold.reason == "Case 2026-04, court order"
    event = AuditEvent.objects.get(action="legal_hold.set")
    assert event.tenant_id == alice.tenant.pk and "bob" not in repr(event.metadata) and "court" not in repr(event.metadata)


def test_a_subject_hold_without_an_email_is_refused(client, alice):
    response = as_user(client, alice.user).post(f"{HOLDS}add/", {"tenant": alice.tenant.pk, "scope": "subject", "reason": "x"})
    assert response.status_code == 200 and "e-mail" in response.content.decode()
    assert not LegalHold.objects.exists()


def test_an_object_hold_needs_a_known_type(client, alice):
    c = as_user(client, alice.user)
    bad = c.post(f"{HOLDS}add/", {"tenant": alice.tenant.pk, "scope": "object", "object_type": "nope.thing", "object_id": "1", "reason": "x"})
    assert bad.status_code == 200 and not LegalHold.objects.exists()
    good = c.post(f"{HOLDS}add/", {"tenant": alice.tenant.pk, "scope": "object", "object_type": "search.UsageEvent", "object_id": " 7 ", "reason": "x"})
    assert good.status_code == 302
    assert LegalHold.objects.get().object_type == "search.usageevent" and LegalHold.objects.get().object_id == "7"


def test_a_tenant_admin_releases_a_hold_and_it_is_audited(client, alice):
    hold = LegalHold.objects.create(tenant=alice.tenant, scope="tenant", reason="case")
    response = as_user(client, alice.user).post(HOLDS, {"action": "release", "_selected_action": [hold.pk]})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by == alice.user
    assert AuditEvent.objects.filter(action="legal_hold.released", tenant=alice.tenant).count() == 1


def test_another_tenants_admin_cannot_see_set_or_release_a_hold(client, alice, charlie):
    hold = LegalHold.objects.create(tenant=alice.tenant, scope="tenant", reason="acme secret matter")
    c = as_user(client, charlie.user)
    assert list(c.get(HOLDS).context["cl"].queryset) == []
    assert c.get(f"{HOLDS}{hold.pk}/change/").status_code == 404
    c.post(HOLDS, {"action": "release", "_selected_action": [hold.pk]})
    hold.refresh_from_db()
    assert hold.released_at is None
    assert c.post(f"{HOLDS}add/", {"tenant": alice.tenant.pk, "scope": "tenant", "reason": "x"}).status_code == 200
    assert LegalHold.objects.count() == 1


def test_a_member_cannot_reach_holds_and_holds_cannot_be_edited_or_deleted(client, alice, bob):
    hold = LegalHold.objects.create(tenant=alice.tenant, scope="tenant", reason="case")
    assert as_user(client, bob.user).get(HOLDS).status_code == 302
    client.logout()
    c = as_user(client, alice.user)
    c.post(f"{HOLDS}{hold.pk}/change/", {"tenant": alice.tenant.pk, "scope": "subject", "reason": "other"})
    assert c.post(f"{HOLDS}{hold.pk}/delete/", {"post": "yes"}).status_code == 403
    hold.refresh_from_db()
    assert (hold.scope, hold.reason) == ("tenant", "case")


# --- runs ----------------------------------------------------------------------------------------


def test_runs_are_for_the_operator(client, operator, alice):
    RetentionRun.objects.create(actor="system", finished_at=timezone.now(), status="done", live=False)
    assert as_user(client, operator).get(RUNS).status_code == 200
    client.logout()
    assert as_user(client, alice.user).get(RUNS).status_code == 403
