"""Staff sign-in: failed attempts locked out and recorded without the e-mail; the second factor
(TOTP, recovery codes) enrolled in the admin, asked of the operator for the admin and of anyone
approving support access or a data-subject request."""

import re
import time

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.models import DataSubjectRequest
from compliance.requests import file_request
from governance.crypto import blind_index
from governance.models import AccessRequest
from tests.governance.support.fixtures import ask, make_job, sam  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.password_only]
LOGIN = "/admin/login/?next=/admin/"
ALICE, ALICE_PASSWORD = "alice@acme.example", "alice-password-1"


def sign_in(email, password, code=""):
    client = Client()
    response = client.post(LOGIN, {"username": email, "password": password, "otp_token": code})
    return client, response


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def enrol(client) -> list[str]:
    """What a person does on the Two-factor sign-in page: add the key to an app, type its code."""
    page = client.get("/admin/second-factor/").content.decode()
    key = re.search(r'id="totp-key">([A-Z2-7=]+)<', page).group(1)
    device = TOTPDevice.objects.get(confirmed=False, user__email_index=blind_index(ALICE))
    assert key.rstrip("=") and device.bin_key  # the key shown is the device's, base32
    page = client.post("/admin/second-factor/", {"action": "confirm", "otp_token": current_code(device)}).content.decode()
    return re.findall(r"<li><code>([0-9a-f]+)</code></li>", page)


def test_failed_sign_ins_lock_the_account_out_and_are_recorded_without_the_email(alice):
    for _ in range(4):
        assert sign_in(ALICE, "wrong-password")[1].status_code == 200
    assert sign_in(ALICE, "wrong-password")[1].status_code == 429  # the fifth failure locks out
    client, response = sign_in(ALICE, ALICE_PASSWORD)
    assert response.status_code == 429  # locked out, the right password too
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == 6 and attempt.username == blind_index(ALICE)  # the refused one counts
    assert ALICE not in str(list(AccessAttempt.objects.values()))


def test_the_operator_needs_a_second_factor_for_the_admin(operator):
    client = Client()
    client.force_login(operator)  # password only
    assert client.get("/admin/").status_code == 302
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device = StaticDevice.objects.create(user=operator, name="first sign-in", confirmed=True)
    StaticToken.objects.create(device=device, token="bootstrap01")  # `manage.py addstatictoken` does this
    client, response = sign_in("ops@sightguard.example", "operator-password-1", "bootstrap01")
    assert response.status_code == 302 and client.get("/admin/").status_code == 200
    _, again = sign_in("ops@sightguard.example", "operator-password-1", "bootstrap01")  # used once only
    assert again.status_code == 200 and "not valid" in again.content.decode()


def test_a_tenant_admin_enrols_in_the_admin_and_signs_in_with_a_recovery_code(alice):
    client, _ = sign_in(ALICE, ALICE_PASSWORD)
    codes = enrol(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "this session was confirmed" in client.get("/admin/second-factor/").content.decode()
    later, response = sign_in(ALICE, ALICE_PASSWORD, codes[0])
    assert response.status_code == 302
    assert "this session was confirmed" in later.get("/admin/second-factor/").content.decode()
    replaced = re.findall(r"<li><code>([0-9a-f]+)</code></li>",
                          later.post("/admin/second-factor/", {"action": "recovery_codes"}).content.decode())
    assert len(replaced) == 10 and sign_in(ALICE, ALICE_PASSWORD, codes[1])[1].status_code == 200  # old ones dead


def test_a_password_alone_cannot_replace_an_enrolled_factor(alice):
    client, _ = sign_in(ALICE, ALICE_PASSWORD)
    enrol(client)
    intruder, _ = sign_in(ALICE, ALICE_PASSWORD)
    page = intruder.post("/admin/second-factor/", {"action": "replace"}, follow=True).content.decode()
    assert "second_factor_required" in page and 'id="totp-key"' not in page
    assert TOTPDevice.objects.filter(confirmed=True).count() == 1


def test_approving_an_erasure_needs_a_verified_session(alice, django_capture_on_commit_callbacks):
    request = file_request(tenant=alice.tenant, kind="erasure", regime="gdpr", email="x@example.com", source="form", verified=True)
    url = f"/admin/compliance/datasubjectrequest/{request.pk}/decide/"
    confirmed = {"decision": "approve", "confirmed": "yes"}  # the button on the preview page
    client, _ = sign_in(ALICE, ALICE_PASSWORD)
    page = client.post(url, confirmed, follow=True).content.decode()
    assert "second_factor_required" in page
    listed = client.post("/admin/compliance/datasubjectrequest/",
                         {"action": "approve", "_selected_action": [str(request.pk)], "confirmed": "yes"}, follow=True)
    assert "second_factor_required" in listed.content.decode()
    request.refresh_from_db()
    assert request.status == DataSubjectRequest.Status.OPEN

    codes = enrol(client)  # enrolment verifies this session
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, confirmed)
    request.refresh_from_db()
    assert request.status != DataSubjectRequest.Status.OPEN and codes


def test_approving_support_access_needs_a_verified_session(sam, alice):
    job = make_job(alice, context="CTX", description="DESC")
    access = ask(sam, alice.tenant, objects=[job], hours=4)
    url = f"/admin/governance/accessrequest/{access.pk}/decide/"
    client, _ = sign_in(ALICE, ALICE_PASSWORD)
    page = client.post(url, {"decision": "approve", "grant_hours": "2", "comment": "ok"}, follow=True).content.decode()
    assert "second_factor_required" in page
    access.refresh_from_db()
    assert access.status == AccessRequest.Status.PENDING

    codes = enrol(client)
    verified, _ = sign_in(ALICE, ALICE_PASSWORD, codes[0])
    verified.post(url, {"decision": "approve", "grant_hours": "2", "comment": "ok"})
    access.refresh_from_db()
    assert access.status == AccessRequest.Status.APPROVED
