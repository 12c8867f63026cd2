"""Intake without an account: the public API and page, verification by e-mail, expiry, opt-out."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from compliance import intake
from compliance.models import DataSubjectRequest, SaleOptOut
from governance.crypto import blind_index
from governance.models import AuditEvent

from .conftest import file_via_api, token_of, verify_link

EMAIL = "erin@example.com"
pytestmark = pytest.mark.django_db


def no_personal_data(payload):
    text = json.dumps(payload, default=str) if not isinstance(payload, str) else payload
    assert EMAIL not in text and "erin" not in text.lower()


def test_it_files_a_request_and_answers_202_with_a_reference_and_nothing_personal(acme, outbox, committed):
    with committed():
        response = file_via_api(APIClient())
    assert response.status_code == 202
    body = response.json()
    assert body["reference"].startswith("DSR-") and body["status"] == "pending_verification"
    assert body["kind"] == "erasure" and body["regime"] == "gdpr" and body["tenant"] == "acme"
    no_personal_data(body)
    request = DataSubjectRequest.objects.get()
    assert request.subject_index == blind_index(EMAIL) and request.email == EMAIL
    assert request.due_at.month in ((request.received_at.month % 12) + 1,)
    assert len(outbox) == 1 and outbox[0].to == [EMAIL] and body["reference"] in outbox[0].body
    for event in AuditEvent.objects.all():
        no_personal_data(event.metadata)
        no_personal_data(event.actor)


def test_the_status_api_shows_state_and_due_date_only(acme, outbox, committed):
    with committed():
        reference = file_via_api(APIClient()).json()["reference"]
    body = APIClient().get(f"/api/v1/privacy-requests/{reference}/").json()
    assert body["status"] == "pending_verification" and body["due_at"]
    no_personal_data(body)
    assert APIClient().get("/api/v1/privacy-requests/DSR-NOPE/").json()["code"] == "not_found"


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"tenant": "acme", "kind": "delete-all", "regime": "gdpr", "email": EMAIL}, "invalid_kind"),
        ({"tenant": "acme", "kind": "erasure", "regime": "lgpd", "email": EMAIL}, "invalid_regime"),
        ({"tenant": "acme", "kind": "erasure", "regime": "gdpr", "email": "not an address"}, "invalid_email"),
        ({"tenant": "nobody", "kind": "erasure", "regime": "gdpr", "email": EMAIL}, "tenant_unknown"),
        ({"tenant": "acme", "kind": "erasure"}, "invalid"),
    ],
)
def test_bad_input_gets_a_stable_code_and_leaves_nothing(acme, outbox, committed, payload, code):
    with committed():
        response = APIClient().post("/api/v1/privacy-requests/", payload, format="json")
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code
    no_personal_data(response.json())
    assert not DataSubjectRequest.objects.exists() and not outbox


def test_the_link_verifies_once_and_the_request_waits_for_review(acme, outbox, committed):
    with committed():
        file_via_api(APIClient())
    token = token_of(verify_link(outbox[0]))
    first = APIClient().post(f"/api/v1/privacy-requests/verify/{token}/")
    assert first.status_code == 200 and first.json()["status"] == "open"
    again = APIClient().post(f"/api/v1/privacy-requests/verify/{token}/")
    assert (again.status_code, again.json()["code"]) == (410, "verification_used")
    assert APIClient().post("/api/v1/privacy-requests/verify/forged/").json()["code"] == "verification_invalid"
    assert DataSubjectRequest.objects.get().verified_at is not None


def test_a_link_past_its_24_hours_is_refused_and_unverified_requests_expire(acme, outbox, committed):
    with committed():
        file_via_api(APIClient())
    request = DataSubjectRequest.objects.get()
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        verify_expires_at=timezone.now() - timedelta(seconds=1), received_at=timezone.now() - timedelta(hours=25)
    )
    response = APIClient().post(f"/api/v1/privacy-requests/verify/{token_of(verify_link(outbox[0]))}/")
    assert response.status_code == 410
    assert intake.expire_unverified() == 1
    request.refresh_from_db()
    assert request.status == "expired" and request.closed_at


def test_a_ccpa_opt_out_needs_no_verification_and_is_in_force_at_once(acme, outbox, committed):
    with committed():
        body = file_via_api(APIClient(), kind="opt_out", regime="ccpa").json()
    assert body["status"] == "fulfilled"
    assert SaleOptOut.objects.filter(tenant=acme, subject_index=blind_index(EMAIL)).exists()
    assert "verify" not in outbox[0].body and "will not sell or share" in outbox[0].body


def test_the_api_is_rate_limited(acme, outbox, committed, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public": "2/hour"}}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        codes = [file_via_api(APIClient(), email=f"p{i}@example.com").status_code for i in range(3)]
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public": "30/hour"}}
        SimpleRateThrottle.THROTTLE_RATES = {"public": "30/hour"}
    assert codes == [202, 202, 429]
    assert DataSubjectRequest.objects.count() == 2


def test_the_public_page_is_plain_csrf_protected_and_says_gpc_is_honoured(acme, outbox, committed):
    page = Client().get("/privacy/acme/")
    html = page.content.decode()
    assert page.status_code == 200 and "Global Privacy Control" in html and "Sec-GPC" in html
    assert 'label for="email"' in html and 'lang="en"' in html
    assert Client().get("/privacy/nobody/").status_code == 404
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/privacy/acme/", {"kind": "erasure", "residence": "eu", "email": EMAIL}).status_code == 403
    assert not DataSubjectRequest.objects.exists()


def test_the_page_files_verifies_and_shows_status_without_personal_data(acme, outbox, committed):
    client = Client()
    with committed():
        response = client.post("/privacy/acme/", {"kind": "access", "residence": "california", "email": EMAIL})
    assert response.status_code == 302
    status_page = client.get(response["Location"])
    assert b"Waiting for e-mail verification" in status_page.content
    no_personal_data(status_page.content.decode())
    link = verify_link(outbox[0])
    assert client.get(link).status_code == 200  # a page with a button: prefetching does not use it up
    assert DataSubjectRequest.objects.get().status == "pending_verification"
    confirmed = client.post(link)
    assert confirmed.status_code == 302 and DataSubjectRequest.objects.get().status == "open"
    bad = client.post("/privacy/acme/", {"kind": "access", "residence": "california", "email": "nope"})
    assert bad.status_code == 400
    email_input = re.search(r'<input id="email"[^>]*>', bad.content.decode(), re.S).group(0)
    assert 'aria-invalid="true"' in email_input and "email-error" in email_input
    assert 'id="email-error"' in bad.content.decode()
    ccpa = DataSubjectRequest.objects.get()
    assert ccpa.regime == "ccpa"
    assert ccpa.ack_due_at and ccpa.acknowledged_at and ccpa.acknowledged_at <= ccpa.ack_due_at


def test_the_form_preselects_nothing_and_enter_in_the_email_field_files_nothing(acme, outbox, committed):
    page = Client().get("/privacy/acme/").content.decode()
    assert " checked" not in page and " selected" not in page
    with committed():
        # What the browser sends when the person types an address and presses Enter.
        response = Client().post("/privacy/acme/", {"email": EMAIL})
    assert response.status_code == 400
    assert not DataSubjectRequest.objects.exists() and not outbox
    html = response.content.decode()
    for radio in re.findall(r'<input type="radio" name="(?:kind|residence)"[^>]*>', html, re.S):
        assert 'aria-invalid="true"' in radio, radio
    assert 'id="kind-error"' in html and 'id="residence-error"' in html
    assert 'aria-invalid="true"' not in re.search(r'<input id="email"[^>]*>', html, re.S).group(0)
    assert f'value="{EMAIL}"' in html  # what they typed is kept


@pytest.mark.parametrize("residence, regime", [("eu", "gdpr"), ("california", "ccpa"), ("elsewhere", "gdpr")])
def test_where_the_person_lives_decides_the_regime(acme, outbox, committed, residence, regime):
    page = Client().get("/privacy/acme/").content.decode()
    assert "within one month" in page and "within 45 days" in page  # a sentence on each choice
    with committed():
        assert Client().post("/privacy/acme/", {"kind": "access", "residence": residence, "email": EMAIL}).status_code == 302
    assert DataSubjectRequest.objects.get().regime == regime


def test_a_tenant_whose_slug_has_no_public_page_is_refused_before_anything_is_stored(outbox, committed):
    from governance.models import Tenant

    Tenant.objects.create(slug="Bad Slug!", name="Odd Ltd")  # as an older create_tenant let through
    with committed():
        response = file_via_api(APIClient(), tenant="Bad Slug!")
    assert (response.status_code, response.json()["code"]) == (404, "tenant_unknown")
    assert not DataSubjectRequest.objects.exists() and not outbox
    assert not AuditEvent.objects.filter(action="privacy_request.filed").exists()


def test_protocol_and_gpc_requests_of_such_a_tenant_are_answered_without_a_status_link(outbox, committed):
    from governance.models import Tenant

    odd = Tenant.objects.create(slug="Bad Slug!", name="Odd Ltd")
    with committed():
        opt_out = intake.file(tenant=odd, kind="opt_out", regime="ccpa", email=EMAIL, source="gpc")
        erasure = intake.file(tenant=odd, kind="erasure", regime="gdpr", email=EMAIL, source="drp")
    assert opt_out.status == "fulfilled" and erasure.status == "pending_verification"
    assert [m.to for m in outbox] == [[EMAIL], [EMAIL]]
    assert all("Follow it here" not in m.body for m in outbox)
    assert "/privacy/verify/" in outbox[1].body
