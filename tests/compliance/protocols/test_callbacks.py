"""Status callbacks to agents and controllers, received by a real HTTP server on loopback
(http.server in a thread); the status changes go through compliance.requests.set_status."""

import json
import logging
import uuid

import pytest
from django.test import Client

from compliance.models import CallbackDelivery, DataSubjectRequest
from compliance.protocols import callbacks, signatures
from compliance.requests import set_status
from governance.models import AuditEvent
from tests.compliance.protocols.fixtures import (
    AGENT_ID,
    SUBJECT_EMAIL,
    exercise_claims,
    make_controller,
    pair,
    sign,
)

pytestmark = pytest.mark.django_db


def drp_request(web, agent_key, callback_url, **claims):
    token = pair(web, AGENT_ID, agent_key)
    body = sign(agent_key, exercise_claims(status_callback=callback_url, **claims))
    response = web.post("/v1/data-rights-request", body, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    return token, DataSubjectRequest.objects.get(pk=response.json()["request_id"])


def test_drp_agent_is_told_of_each_status_change(drp_agent, agent_key, callback_server, django_capture_on_commit_callbacks, caplog):
    caplog.set_level(logging.DEBUG)
    web = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _, request = drp_request(web, agent_key, callback_server.url + "/update_status", exercise="deletion")
    assert callback_server.received == []  # the POST's answer already told the agent

    with django_capture_on_commit_callbacks(execute=True):
        set_status(request=request, status="in_progress", actor="system")  # still DRP in_progress: no call
    assert callback_server.received == []

    with django_capture_on_commit_callbacks(execute=True):
        set_status(request=request, status="fulfilled", actor="system")
    [call] = callback_server.received
    assert call["path"] == "/update_status"
    assert call["headers"]["Content-Type"] == "application/json"
    body = json.loads(call["body"])
    assert body == {
        "request_id": str(request.pk),
        "status": "fulfilled",
        "received_at": body["received_at"],
        "expected_by": body["expected_by"],
        "agent_request_id": "foo",
    }
    delivery = CallbackDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_http_status) == ("delivered", 1, 200)
    everything = call["body"].decode() + json.dumps(list(AuditEvent.objects.values_list("metadata", flat=True))) + caplog.text
    assert SUBJECT_EMAIL not in everything and "Jane" not in everything


def test_a_revoke_is_called_back_too(drp_agent, agent_key, callback_server, django_capture_on_commit_callbacks):
    web = Client()
    with django_capture_on_commit_callbacks(execute=True):
        token, request = drp_request(web, agent_key, callback_server.url + "/cb", exercise="deletion")
        web.delete(
            f"/v1/data-rights-request/{request.pk}", sign(agent_key, {"reason": "x"}), content_type="text/plain",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert [json.loads(c["body"])["status"] for c in callback_server.received] == ["revoked"]


def test_opendsr_callbacks_are_signed_over_the_body(acme, callback_server, django_capture_on_commit_callbacks, caplog):
    caplog.set_level(logging.DEBUG)
    web = Client()
    controller, token = make_controller(acme)
    urls = [callback_server.url + "/opendsr/callbacks", callback_server.url + "/second"]
    body = {
        "subject_request_id": str(uuid.uuid4()),
        "regulation": "ccpa",
        "subject_request_type": "access",
        "submitted_time": "2018-10-02T15:00:00Z",
        "subject_identities": [{"identity_type": "email", "identity_value": SUBJECT_EMAIL, "identity_format": "raw"}],
        "api_version": "2.0",
        "status_callback_urls": urls,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post("/opendsr/v2/requests", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 201 and callback_server.received == []
    request = DataSubjectRequest.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        set_status(request=request, status="in_progress", actor="system")
    certificate = web.get("/opendsr/v2/cert.pem").content
    assert sorted(c["path"] for c in callback_server.received) == ["/opendsr/callbacks", "/second"]
    for call in callback_server.received:
        assert call["headers"]["X-OpenDSR-Processor-Domain"] == signatures.processor_domain()
        signatures.verify_rsa(body=call["body"], signature_b64=call["headers"]["X-OpenDSR-Signature"], certificate_pem=certificate)
        payload = json.loads(call["body"])
        assert payload["request_status"] == "in_progress"
        assert payload["status_callback_url"] == callback_server.url + call["path"]
        assert payload["subject_request_id"] == body["subject_request_id"]
        assert payload["controller_id"] == controller.controller_id
        assert SUBJECT_EMAIL not in call["body"].decode()
    with pytest.raises(signatures.BadSignature):
        call = callback_server.received[0]
        signatures.verify_rsa(body=call["body"] + b" ", signature_b64=call["headers"]["X-OpenDSR-Signature"], certificate_pem=certificate)
    assert SUBJECT_EMAIL not in caplog.text


def test_a_failing_agent_endpoint_is_retried_then_given_up(drp_agent, agent_key, callback_server, django_capture_on_commit_callbacks):
    web = Client()
    callback_server.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        _, request = drp_request(web, agent_key, callback_server.url + "/down", exercise="deletion")
        set_status(request=request, status="fulfilled", actor="system")
    delivery = CallbackDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_http_status, delivery.last_error) == ("pending", 1, 503, "http_503")
    for _ in range(callbacks.MAX_ATTEMPTS - 2):
        assert callbacks.deliver(delivery_id=delivery.pk) is not None  # seconds to wait: retry later
    assert callbacks.deliver(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", callbacks.MAX_ATTEMPTS)
    assert len(callback_server.received) == callbacks.MAX_ATTEMPTS
    callback_server.status = 200
    assert callbacks.deliver(delivery_id=delivery.pk) is None  # a row given up on is not sent again
    assert len(callback_server.received) == callbacks.MAX_ATTEMPTS


def test_a_delivered_callback_is_not_sent_twice(drp_agent, agent_key, callback_server, django_capture_on_commit_callbacks):
    web = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _, request = drp_request(web, agent_key, callback_server.url + "/cb", exercise="deletion")
        set_status(request=request, status="fulfilled", actor="system")
    delivery = CallbackDelivery.objects.get()
    callbacks.deliver(delivery_id=delivery.pk)
    assert len(callback_server.received) == 1


def test_an_unreachable_endpoint_is_recorded_without_raising(drp_agent, agent_key, callback_server, django_capture_on_commit_callbacks):
    web = Client()
    url = callback_server.url + "/gone"
    callback_server.close()
    with django_capture_on_commit_callbacks(execute=True):
        _, request = drp_request(web, agent_key, url, exercise="deletion")
        set_status(request=request, status="fulfilled", actor="system")
    delivery = CallbackDelivery.objects.get()
    assert (delivery.state, delivery.last_error) == ("pending", "unreachable")


def test_a_callback_whose_worker_died_is_sent_again_by_the_beat_task(drp_agent, agent_key, callback_server, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from compliance.protocols.tasks import resend_lost_callbacks

    web = Client()
    callback_server.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        _, request = drp_request(web, agent_key, callback_server.url + "/cb", exercise="deletion")
        set_status(request=request, status="fulfilled", actor="system")
    delivery = CallbackDelivery.objects.get()
    assert delivery.state == "pending" and delivery.next_attempt_at > timezone.now()  # the retry is due later
    callback_server.status = 200
    assert resend_lost_callbacks() == 0  # not lost: its retry is merely waiting
    # the worker holding the retry died: the attempt is now long overdue
    CallbackDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=callbacks.LOST_AFTER_SECONDS + 1)
    )
    assert resend_lost_callbacks() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 2)
    assert [c["path"] for c in callback_server.received] == ["/cb", "/cb"]
    assert resend_lost_callbacks() == 0


def test_form_requests_without_a_protocol_cost_no_callbacks(acme, django_capture_on_commit_callbacks):
    from compliance.requests import file_request

    with django_capture_on_commit_callbacks(execute=True):
        request = file_request(tenant=acme, kind="access", regime="gdpr", email="x@example.org", source="form")
        set_status(request=request, status="fulfilled", actor="system")
    assert not CallbackDelivery.objects.exists()


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://dsr-agent.example.com/update_status", True),
        ("http://dsr-agent.example.com/update_status", False),
        ("https://user:pw@dsr-agent.example.com/", False),
        ("https://127.0.0.1/cb", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://10.0.0.5/cb", False),
        ("https://[::1]/cb", False),
        ("https://localhost/cb", False),
        ("javascript:alert(1)", False),
    ],
)
def test_callback_urls_in_production(settings, url, ok):
    settings.PROTOCOL_CALLBACKS_ALLOW_HTTP = False
    if ok:
        assert callbacks.check_url(url) == url
    else:
        with pytest.raises(ValueError):
            callbacks.check_url(url)


def test_an_extension_updates_processing_details_and_calls_the_agent_back(drp_agent, agent_key, alice, callback_server,
                                                                          django_capture_on_commit_callbacks):
    from compliance import review

    web = Client()
    with django_capture_on_commit_callbacks(execute=True):
        token, request = drp_request(web, agent_key, callback_server.url + "/cb", exercise="deletion", email_verified=True)
    before = web.get(f"/v1/data-rights-request/{request.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert "processing_details" not in before

    with django_capture_on_commit_callbacks(execute=True):
        review.extend(request=request, actor=alice.user, reason="Many systems to search")
    [call] = callback_server.received
    body = json.loads(call["body"])
    request.refresh_from_db()
    assert body["status"] == "in_progress" and body["expected_by"] != before["expected_by"]
    assert body["processing_details"].endswith("Reason: Many systems to search")
    assert f"to {request.due_at:%Y-%m-%d}" in body["processing_details"]
    status = web.get(f"/v1/data-rights-request/{request.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert status["processing_details"] == body["processing_details"]

    with django_capture_on_commit_callbacks(execute=True):
        set_status(request=request, status="in_progress", actor="system")  # same DRP state: no second call
    assert len(callback_server.received) == 1
