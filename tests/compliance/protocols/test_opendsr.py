"""OpenDSR 2.0 for controllers, from the spec's sample request: discovery, requests, status,
cancellation while pending, the error model, signed responses, tenant scoping."""

import base64
import json
import uuid

import pytest
from django.test import Client

from compliance.models import DataSubjectRequest, OpenDsrRequest
from compliance.protocols import signatures
from compliance.requests import set_status
from tests.compliance.protocols.fixtures import SUBJECT_EMAIL, make_controller

pytestmark = pytest.mark.django_db


def sample(**overrides) -> dict:
    """The README's sample request object (api_version 2.0)."""
    body = {
        "subject_request_id": str(uuid.uuid4()),
        "regulation": "gdpr",
        "subject_request_type": "erasure",
        "submitted_time": "2018-10-02T15:00:00Z",
        "subject_identities": [{"identity_type": "email", "identity_value": SUBJECT_EMAIL, "identity_format": "raw"}],
        "api_version": "2.0",
        "status_callback_urls": ["https://example-controller.com/opendsr/callbacks"],
    }
    body.update(overrides)
    return body


@pytest.fixture
def controller(acme):
    return make_controller(acme)


@pytest.fixture
def web():
    return Client()


def post(web, token, body):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return web.post("/opendsr/v2/requests", raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_signed(web, response):
    certificate = web.get("/opendsr/v2/cert.pem").content
    assert response["X-OpenDSR-Processor-Domain"]
    signatures.verify_rsa(body=response.content, signature_b64=response["X-OpenDSR-Signature"], certificate_pem=certificate)


def test_discovery_describes_what_we_support_and_is_signed(web):
    response = web.get("/opendsr/v2/discovery")
    assert response.status_code == 200
    body = response.json()
    assert body["api_version"] == "2.0"
    assert body["supported_identities"] == [{"identity_type": "email", "identity_format": "raw"}]
    assert sorted(body["supported_subject_request_types"]) == ["access", "erasure", "portability"]
    assert body["processor_certificate"].endswith("/opendsr/v2/cert.pem")
    assert_signed(web, response)


def test_the_sample_request_is_filed_and_answered_201_signed(web, controller, acme):
    ctrl, token = controller
    body = sample()
    response = post(web, token, body)
    assert response.status_code == 201, response.content
    assert_signed(web, response)
    answer = response.json()
    assert answer["controller_id"] == ctrl.controller_id
    assert answer["subject_request_id"] == body["subject_request_id"]
    assert json.loads(base64.b64decode(answer["encoded_request"])) == body  # 7.3 requires the echo
    request = DataSubjectRequest.objects.get()
    assert (request.tenant, request.kind, request.regime, request.source, request.status) == (acme, "erasure", "gdpr", "opendsr", "open")

    status = web.get(f"/opendsr/v2/requests/{body['subject_request_id']}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert status.status_code == 200
    assert_signed(web, status)
    assert status.json()["request_status"] == "pending"
    assert SUBJECT_EMAIL not in status.content.decode()


@pytest.mark.parametrize("kind, regulation", [("access", "ccpa"), ("portability", "gdpr")])
def test_types_and_regulations(web, controller, kind, regulation):
    response = post(web, controller[1], sample(subject_request_type=kind, regulation=regulation))
    assert response.status_code == 201
    assert (DataSubjectRequest.objects.get().kind, DataSubjectRequest.objects.get().regime) == (kind, regulation)


def test_cancel_only_while_pending(web, controller):
    token = controller[1]
    first, second = sample(), sample()
    post(web, token, first), post(web, token, second)
    response = web.delete(f"/opendsr/v2/requests/{first['subject_request_id']}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 202
    assert_signed(web, response)
    assert response.json()["subject_request_id"] == first["subject_request_id"]
    link = OpenDsrRequest.objects.get(subject_request_id=first["subject_request_id"])
    assert link.request.status == "cancelled"
    status = web.get(f"/opendsr/v2/requests/{first['subject_request_id']}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert status.json()["request_status"] == "cancelled"

    busy = OpenDsrRequest.objects.get(subject_request_id=second["subject_request_id"]).request
    set_status(request=busy, status="in_progress", actor="system")
    refused = web.delete(f"/opendsr/v2/requests/{second['subject_request_id']}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 400
    assert refused.json()["error"]["errors"][0]["reason"] == "opendsr_not_pending"
    busy.refresh_from_db()
    assert busy.status == "in_progress"


ERRORS = {
    "not_json": ("{nope", "opendsr_not_json"),
    "regulation": (sample(regulation="lgpd"), "opendsr_bad_regulation"),
    "no_regulation": ({k: v for k, v in sample().items() if k != "regulation"}, "opendsr_bad_regulation"),
    "request_id": (sample(subject_request_id="not-a-uuid"), "opendsr_bad_request_id"),
    "uuid1": (sample(subject_request_id=str(uuid.uuid1())), "opendsr_bad_request_id"),
    "type": (sample(subject_request_type="rectification"), "opendsr_bad_type"),
    "submitted": (sample(submitted_time="yesterday"), "opendsr_bad_submitted_time"),
    "version": (sample(api_version="1.0"), "opendsr_unsupported_version"),
    "no_identity": (sample(subject_identities=[]), "opendsr_identity_missing"),
    "hashed_identity": (
        sample(subject_identities=[{"identity_type": "email", "identity_value": "ab" * 32, "identity_format": "sha256"}]),
        "opendsr_unsupported_identity",
    ),
    "callback": (sample(status_callback_urls=["ftp://controller.example/cb"]), "opendsr_bad_callback"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_bad_requests_get_the_specs_error_object_and_leave_nothing(web, controller, case):
    body, reason = ERRORS[case]
    response = post(web, controller[1], body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 400 and error["message"]
    assert error["errors"] == [{"domain": "Validation", "reason": reason, "message": error["message"]}]
    assert SUBJECT_EMAIL not in response.content.decode()
    assert not DataSubjectRequest.objects.exists() and not OpenDsrRequest.objects.exists()


def test_a_duplicate_subject_request_id_is_refused(web, controller):
    body = sample()
    assert post(web, controller[1], body).status_code == 201
    again = post(web, controller[1], body)
    assert again.status_code == 400 and again.json()["error"]["errors"][0]["reason"] == "opendsr_duplicate"
    assert DataSubjectRequest.objects.count() == 1


def test_no_token_or_a_revoked_controller_is_401(web, controller):
    ctrl, token = controller
    assert post(web, "", sample()).status_code == 401
    assert post(web, "wrong", sample()).json()["error"]["errors"][0]["reason"] == "opendsr_unauthorized"
    ctrl.active = False
    ctrl.save()
    assert post(web, token, sample()).status_code == 401
    assert not DataSubjectRequest.objects.exists()


def test_another_tenants_controller_gets_404(web, controller, globex):
    body = sample()
    post(web, controller[1], body)
    _, outsider = make_controller(globex, "globex-cdp")
    for method in (web.get, web.delete):
        response = method(f"/opendsr/v2/requests/{body['subject_request_id']}", HTTP_AUTHORIZATION=f"Bearer {outsider}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == 404
    assert DataSubjectRequest.objects.get().status == "open"
    unknown = web.get(f"/opendsr/v2/requests/{uuid.uuid4()}", HTTP_AUTHORIZATION=f"Bearer {outsider}")
    assert unknown.status_code == 404 and unknown.json() == response.json()


@pytest.mark.parametrize("old, new", [
    ("/opendsr/discovery", "/opendsr/v2/discovery"),
    ("/opendsr/cert.pem", "/opendsr/v2/cert.pem"),
    ("/opendsr/requests", "/opendsr/v2/requests"),
    ("/opendsr/requests/4d7c6e2a-8f5b-4c1e-9a3d-2b1f0e9c8d7a?x=1", "/opendsr/v2/requests/4d7c6e2a-8f5b-4c1e-9a3d-2b1f0e9c8d7a?x=1"),
])
def test_the_unversioned_paths_redirect_keeping_method_and_body(web, old, new):
    for method in (web.get, web.post, web.delete):
        response = method(old)
        assert (response.status_code, response["Location"]) == (308, new)  # 308: the method and body are kept
