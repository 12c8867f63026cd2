"""GET /api/v1/consent/, POST /api/v1/consent/accept, POST /api/v1/consent/revoke."""

import pytest

from governance.models import AuditEvent, ConsentRecord, ConsentRevocation

pytestmark = pytest.mark.django_db


def test_an_admin_reads_the_status_and_the_full_terms(alice):
    body = alice.api.get("/api/v1/consent/").json()
    assert body["status"] == "not_accepted"
    assert body["current_version"] == "1.0"
    assert body["accepted_version"] is None and body["providers"] == []
    assert body["terms"]["version"] == "1.0" and "Gemini" in body["terms"]["text"]
    assert {s["provider"]: s["company"] for s in body["terms"]["subprocessors"]} == {
        "gemini": "Google", "openai": "OpenAI", "anthropic": "Anthropic"}


def test_an_admin_accepts_then_revokes(alice):
    response = alice.api.post("/api/v1/consent/accept", {"version": "1.0"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["accepted_version"], body["providers"]) == (
        "accepted", "1.0", ["anthropic", "gemini", "openai"])
    assert body["accepted_at"]
    assert ConsentRecord.objects.get().accepted_by == alice.user

    response = alice.api.post("/api/v1/consent/revoke")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["providers"]) == ("revoked", [])
    assert ConsentRevocation.objects.get().revoked_by == alice.user
    assert list(AuditEvent.objects.filter(action__startswith="consent.").order_by("id").values_list("action", flat=True)) == [
        "consent.accepted", "consent.revoked"]

    again = alice.api.post("/api/v1/consent/revoke")
    assert (again.status_code, again.json()["code"]) == (409, "no_active_consent")


def test_accepting_anything_but_the_current_version_is_refused(alice):
    response = alice.api.post("/api/v1/consent/accept", {"version": "0.1"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "terms_version_not_current" and response.json()["version"] == "1.0"
    missing = alice.api.post("/api/v1/consent/accept", {}, format="json")
    assert (missing.status_code, missing.json()["code"]) == (400, "invalid")
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    "method,path", [("get", "/api/v1/consent/"), ("post", "/api/v1/consent/accept"), ("post", "/api/v1/consent/revoke")]
)
def test_members_get_403_with_a_code(alice, bob, method, path):
    alice.api.post("/api/v1/consent/accept", {"version": "1.0"}, format="json")
    response = getattr(bob.api, method)(path, {"version": "1.0"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"
    assert ConsentRecord.objects.count() == 1 and not ConsentRevocation.objects.exists()


def test_without_a_key_the_consent_api_refuses(client, acme):
    response = client.get("/api/v1/consent/")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_each_admin_acts_for_their_own_tenant_only(alice, charlie):
    charlie.api.post("/api/v1/consent/accept", {"version": "1.0"}, format="json")
    assert alice.api.get("/api/v1/consent/").json()["status"] == "not_accepted"
    assert charlie.api.get("/api/v1/consent/").json()["status"] == "accepted"
    revoke = alice.api.post("/api/v1/consent/revoke")
    assert (revoke.status_code, revoke.json()["code"]) == (409, "no_active_consent")
    assert charlie.api.get("/api/v1/consent/").json()["status"] == "accepted"
    assert ConsentRecord.objects.get().tenant == charlie.tenant
