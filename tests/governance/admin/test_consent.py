"""The admin: tenant admins read the terms and accept or revoke; the operator publishes versions."""

import pytest
from django.test import Client

from governance.models import (
    AuditEvent,
    ConsentRecord,
    ConsentRevocation,
    Subprocessor,
    TermsVersion,
    User,
)

pytestmark = pytest.mark.django_db
PAGE = "/admin/governance/consentoverview/"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def support(db):
    return User.objects.create_user(email="support@sightguard.example", password="support-password-1", is_staff=True)


def test_a_tenant_admin_reads_the_full_terms_and_subprocessors(alice):
    page = logged_in(alice.user).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Generative-AI terms for Acme Oy" in html
    assert "Sightguard generative-AI terms, version 1.0" in html  # the full text, not a summary
    assert "https://trust.anthropic.com/" in html
    for company in ("Google", "OpenAI", "Anthropic"):
        assert f"<td>{company}</td>" in html
    assert 'data-status="not_accepted"' in html and 'id="accept-button"' in html
    assert 'id="revoke-button"' not in html


def test_accepting_needs_the_explicit_confirmation(alice):
    client = logged_in(alice.user)
    response = client.post(PAGE, {"action": "accept", "version": "1.0"}, follow=True)
    assert "Tick the box" in response.content.decode()
    assert not ConsentRecord.objects.exists()
    response = client.post(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"}, follow=True)
    assert "You accepted the terms" in response.content.decode()
    record = ConsentRecord.objects.get()
    assert (record.tenant, record.accepted_by, record.terms.version) == (alice.tenant, alice.user, "1.0")
    assert AuditEvent.objects.filter(action="consent.accepted", tenant=alice.tenant).count() == 1
    html = response.content.decode()
    assert 'data-status="accepted"' in html and 'id="accept-button"' not in html
    assert ">anthropic, gemini, openai<" in html


def test_revoking_in_the_admin(alice):
    client = logged_in(alice.user)
    client.post(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"})
    confirm = client.post(PAGE, {"action": "revoke"}).content.decode()  # first what it stops
    assert 'id="confirm-revoke"' in confirm and 'id="impact-searches">0<' in confirm
    assert not ConsentRevocation.objects.exists()
    response = client.post(PAGE, {"action": "revoke", "confirmed": "yes"}, follow=True)
    assert "Consent revoked" in response.content.decode()
    assert ConsentRevocation.objects.get().revoked_by == alice.user
    assert 'data-status="revoked"' in response.content.decode()


def test_a_stale_version_in_the_form_is_refused(alice):
    client = logged_in(alice.user)
    response = client.post(PAGE, {"action": "accept", "version": "0.9", "confirm": "yes"}, follow=True)
    assert "terms_version_not_current" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_members_and_support_staff_cannot_reach_the_page(bob, support, acme):
    bob.user.set_password("bob-password-123")
    bob.user.save()
    response = logged_in(bob.user).get(PAGE)  # not staff: the admin sends members to its login
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = logged_in(bob.user).post(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"})
    assert response.status_code == 302
    for method in ("get", "post"):
        response = getattr(logged_in(support), method)(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"})
        assert response.status_code == 403
    assert "AI terms and consent" not in logged_in(support).get("/admin/").content.decode()
    assert not ConsentRecord.objects.exists()


def test_another_tenants_admin_cannot_act_for_acme(alice, charlie):
    client = logged_in(charlie.user)
    page = client.get(PAGE).content.decode()
    assert "Globex AB" in page and "Acme" not in page
    response = client.post(f"{PAGE}?tenant={alice.tenant.pk}", {"action": "accept", "version": "1.0", "confirm": "yes"})
    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()


def test_the_operator_sees_each_tenants_status_but_cannot_accept(operator, alice, charlie):
    logged_in(alice.user).post(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"})
    client = logged_in(operator)
    html = client.get(PAGE).content.decode()
    assert '<td>acme</td><td data-status="accepted">Accepted</td>' in html
    assert '<td>globex</td><td data-status="not_accepted">Not accepted yet</td>' in html  # statuses in words
    client.post(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"})
    assert ConsentRecord.objects.count() == 1


def test_the_operator_writes_and_publishes_a_version(operator, alice):
    logged_in(alice.user).post(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"})
    client = logged_in(operator)
    response = client.post(
        "/admin/governance/termsversion/add/",
        {
            "version": "2.0",
            "requires_reacceptance": "on",
            "text": "Second version: Gemini only.",
            "subprocessors-TOTAL_FORMS": "1",
            "subprocessors-INITIAL_FORMS": "0",
            "subprocessors-0-provider_key": "gemini",
            "subprocessors-0-company": "Google",
            "subprocessors-0-service": "Gemini",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    terms = TermsVersion.objects.get(version="2.0")
    assert terms.published_at is None and terms.subprocessors.get().company == "Google"
    confirm = client.post("/admin/governance/termsversion/", {"action": "publish", "_selected_action": [terms.pk]})
    assert 'id="confirm-publish"' in confirm.content.decode()
    assert f'id="impact-tenants-{terms.pk}">1<' in confirm.content.decode()  # acme stops until it accepts again
    terms.refresh_from_db()
    assert terms.published_at is None  # nothing happens before the confirmation
    client.post("/admin/governance/termsversion/", {"action": "publish", "_selected_action": [terms.pk], "confirmed": "yes"})
    terms.refresh_from_db()
    assert terms.published_at is not None
    assert AuditEvent.objects.filter(action="terms.published").count() == 1
    # Published: the change page is read-only and a POST cannot edit it.
    response = client.post(f"/admin/governance/termsversion/{terms.pk}/change/", {"version": "2.0", "text": "changed"})
    assert response.status_code == 403
    terms.refresh_from_db()
    assert terms.text == "Second version: Gemini only."
    assert Subprocessor.objects.filter(terms=terms).count() == 1


def test_tenant_admins_cannot_write_terms_versions(alice):
    client = logged_in(alice.user)
    assert client.get("/admin/governance/termsversion/").status_code == 403
    response = client.post("/admin/governance/termsversion/add/", {"version": "9", "text": "mine"})
    assert response.status_code == 403
    assert not TermsVersion.objects.filter(version="9").exists()
    index = client.get("/admin/").content.decode()
    assert "AI terms and consent" in index and "Terms versions" not in index


def test_the_consent_history_is_scoped_to_the_tenant(alice, charlie):
    logged_in(alice.user).post(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"})
    logged_in(charlie.user).post(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"})
    acme_record = ConsentRecord.objects.get(tenant=alice.tenant)
    client = logged_in(charlie.user)
    listing = client.get("/admin/governance/consentrecord/").content.decode()
    assert "globex" in listing and "acme" not in listing
    assert client.get(f"/admin/governance/consentrecord/{acme_record.pk}/change/").status_code == 404


def test_an_admin_of_two_tenants_chooses_and_is_never_given_the_first_one(alice, charlie):
    from governance.tenancy.tenants import add_member

    add_member(tenant=charlie.tenant, email="alice@acme.example", role="admin")
    client = logged_in(alice.user)
    page = client.get(PAGE).content.decode()
    assert 'id="choose-tenant"' in page and "Generative-AI terms for" not in page
    assert client.post(PAGE, {"action": "accept", "version": "1.0", "confirm": "yes"}).status_code == 404
    assert "Generative-AI terms for Globex AB" in client.get(PAGE, {"tenant": charlie.tenant.pk}).content.decode()
    assert not ConsentRecord.objects.exists()


def test_an_unknown_or_foreign_tenant_is_a_404(alice, charlie):
    client = logged_in(alice.user)
    for wanted in (charlie.tenant.pk, 999999, "acme"):
        assert client.get(PAGE, {"tenant": wanted}).status_code == 404
        assert client.post(f"{PAGE}?tenant={wanted}", {"action": "revoke"}).status_code == 404
