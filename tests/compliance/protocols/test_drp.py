"""Data Rights Protocol 1.0 as a covered business, from the spec's own examples (2.01, 2.05, 3.03,
3.06, 3.07): pairing, exercise, status, revoke; each refusal with the spec's error body."""

import base64
import json

import nacl.signing
import pytest
from django.core import mail
from django.test import Client

from compliance.models import (
    DataSubjectRequest,
    DrpRequest,
    DrpToken,
    SaleOptOut,
    SeenMessage,
)
from compliance.requests import set_status
from governance.models import AuditEvent
from tests.compliance.protocols.fixtures import (
    AGENT_ID,
    BUSINESS_ID,
    SUBJECT_EMAIL,
    exercise_claims,
    iso,
    pair,
    pairing_claims,
    sign,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return Client()


def post_exercise(web, token, body):
    return web.post("/v1/data-rights-request", body, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")


# --- pairing (2.05, 2.06) -------------------------------------------------------------------------


def test_it_pairs_an_agent_and_checks_its_token(web, drp_agent, agent_key):
    response = web.post(f"/v1/agent/{AGENT_ID}", sign(agent_key, pairing_claims()), content_type="text/plain")
    assert response.status_code == 200
    body = response.json()
    assert body["agent-id"] == AGENT_ID and len(body["token"]) >= 32
    assert DrpToken.objects.filter(agent=drp_agent, revoked_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="drp.agent_paired", target_id=str(drp_agent.pk)).count() == 1

    info = web.get(f"/v1/agent/{AGENT_ID}", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert info.status_code == 200 and info.json() == {}
    assert web.get("/v1/agent/SOMEONE_ELSE", HTTP_AUTHORIZATION=f"Bearer {body['token']}").status_code == 403
    assert web.get(f"/v1/agent/{AGENT_ID}", HTTP_AUTHORIZATION="Bearer nope").status_code == 403


def test_a_new_pairing_revokes_the_old_token(web, drp_agent, agent_key):
    first = pair(web, AGENT_ID, agent_key)
    second = pair(web, AGENT_ID, agent_key)
    assert web.get(f"/v1/agent/{AGENT_ID}", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 403
    assert web.get(f"/v1/agent/{AGENT_ID}", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


@pytest.mark.parametrize(
    "case",
    ["bad_signature", "unknown_agent", "expired", "future", "wrong_business", "url_mismatch", "not_base64", "inactive", "old_version"],
)
def test_every_failed_pairing_is_a_403_with_no_body(web, drp_agent, agent_key, case):
    key, url_id, claims = agent_key, AGENT_ID, pairing_claims()
    if case == "bad_signature":
        key = nacl.signing.SigningKey.generate()
    elif case == "unknown_agent":
        url_id = claims["agent-id"] = "NOBODY"
    elif case == "expired":
        claims.update({"issued-at": iso(-1200), "expires-at": iso(-600)})
    elif case == "future":
        claims.update({"issued-at": iso(3600), "expires-at": iso(4200)})
    elif case == "wrong_business":
        claims["business-id"] = "GLOBEX_CB"
    elif case == "url_mismatch":
        url_id = "OTHER_AA"
    elif case == "inactive":
        drp_agent.active = False
        drp_agent.save()
    elif case == "old_version":
        claims["drp.version"] = "0.5"
    body = "%%% not base64" if case == "not_base64" else sign(key, claims)
    response = web.post(f"/v1/agent/{url_id}", body, content_type="text/plain")
    assert response.status_code == 403
    assert response.content == b""
    assert not DrpToken.objects.exists()


def test_a_replayed_pairing_message_is_refused(web, drp_agent, agent_key):
    body = sign(agent_key, pairing_claims())
    assert web.post(f"/v1/agent/{AGENT_ID}", body, content_type="text/plain").status_code == 200
    replay = web.post(f"/v1/agent/{AGENT_ID}", body, content_type="text/plain")
    assert replay.status_code == 403 and replay.content == b""
    assert DrpToken.objects.count() == 1


# --- exercise (2.01, 3.03) ------------------------------------------------------------------------


def test_the_specs_example_request_lands_in_the_queue(web, drp_agent, agent_key):
    token = pair(web, AGENT_ID, agent_key)
    response = post_exercise(web, token, sign(agent_key, exercise_claims()))
    assert response.status_code == 200, response.content
    body = response.json()
    request = DataSubjectRequest.objects.get()
    assert body["request_id"] == str(request.pk)
    # an opt-out of sale is in force at once (CCPA 7026): no review, no verification
    assert body["status"] == "fulfilled" and "reason" not in body
    assert body["agent_request_id"] == "foo"
    assert body["received_at"].endswith("Z") and body["expected_by"].endswith("Z")
    assert (request.tenant, request.kind, request.regime, request.source, request.status) == (
        drp_agent.tenant,
        "opt_out",
        "ccpa",
        "drp",
        "fulfilled",
    )
    assert SaleOptOut.objects.filter(tenant=drp_agent.tenant, subject_index=request.subject_index, source="drp").exists()
    assert request.email == SUBJECT_EMAIL
    assert SUBJECT_EMAIL not in response.content.decode() and "Jane" not in response.content.decode()
    link = DrpRequest.objects.get()
    assert (link.agent, link.exercise, link.agent_request_id) == (drp_agent, "sale:opt-out", "foo")


@pytest.mark.parametrize(
    "exercise, kind", [("deletion", "erasure"), ("access", "access"), ("sale:opt_out", "opt_out"), ("sale:opt-in", "opt_in")]
)
def test_each_action_maps_to_a_request_kind(web, drp_agent, agent_key, exercise, kind):
    token = pair(web, AGENT_ID, agent_key)
    response = post_exercise(web, token, sign(agent_key, exercise_claims(exercise=exercise, regime=None)))
    assert response.status_code == 200
    assert DataSubjectRequest.objects.get().kind == kind


def test_an_unverified_deletion_waits_for_user_verification(web, drp_agent, agent_key, django_capture_on_commit_callbacks):
    token = pair(web, AGENT_ID, agent_key)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_exercise(web, token, sign(agent_key, exercise_claims(exercise="deletion", email_verified=False)))
    assert response.json()["status"] == "in_progress"
    assert response.json()["reason"] == "need_user_verification"
    request = DataSubjectRequest.objects.get()
    assert request.status == "pending_verification"
    # 3.03: where the subject completes verification: a page saying to check the mail, which resends it
    page_url = response.json()["user_verification_url"]
    assert page_url.endswith(f"/privacy/acme/status/{request.reference}/")
    page = web.get("/" + page_url.split("://", 1)[1].split("/", 1)[1])
    assert b"Check your e-mail" in page.content and b'id="resend"' in page.content
    assert SUBJECT_EMAIL.encode() not in page.content
    # the subject gets the same verification e-mail as from the public form; following it opens the request
    [message] = mail.outbox
    assert message.to == [SUBJECT_EMAIL]
    link = next(word for word in message.body.split() if "/verify/" in word)
    assert web.post("/" + link.split("://", 1)[1].split("/", 1)[1]).status_code == 302
    request.refresh_from_db()
    assert request.status == "open"


def test_the_trailing_slash_of_older_agents_is_accepted(web, drp_agent, agent_key):
    token = pair(web, AGENT_ID, agent_key)
    response = web.post(
        "/v1/data-rights-request/", sign(agent_key, exercise_claims()), content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200


REFUSALS = {
    # case: (status, fatal, stable code)
    "bad_signature": (403, True, "drp_bad_signature"),
    "other_agents_token": (403, True, "drp_wrong_agent"),
    "wrong_business": (403, True, "drp_wrong_business"),
    "expired": (400, True, "drp_expired"),
    "future": (400, True, "drp_not_yet_valid"),
    "not_base64": (400, True, "drp_not_signed"),
    "unsupported_action": (400, True, "drp_unsupported_action"),
    "unsupported_regime": (400, True, "drp_unsupported_regime"),
    "no_email": (400, True, "drp_identity_missing"),
    "bad_callback": (400, True, "drp_bad_callback"),
    "no_token": (403, False, "drp_token_missing"),
    "unknown_token": (403, False, "drp_token_invalid"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_bad_requests_are_refused_with_the_specs_error_and_leave_nothing(web, drp_agent, agent_key, globex_agent, case, settings):
    settings.PROTOCOL_CALLBACKS_ALLOW_HTTP = False
    token = pair(web, AGENT_ID, agent_key)
    key, claims, auth = agent_key, exercise_claims(), f"Bearer {token}"
    if case == "bad_signature":
        key = nacl.signing.SigningKey.generate()
    elif case == "other_agents_token":
        other, other_key = globex_agent
        auth = f"Bearer {pair(web, other.agent_id, other_key, business_id=other.business_id)}"
        key = other_key  # the other agent signs a message claiming to be ours
    elif case == "wrong_business":
        claims["business-id"] = "GLOBEX_CB"
    elif case == "expired":
        claims.update({"issued-at": iso(-1200), "expires-at": iso(-1)})
    elif case == "future":
        claims.update({"issued-at": iso(3600), "expires-at": iso(4200)})
    elif case == "unsupported_action":
        claims["exercise"] = "access:categories"
    elif case == "unsupported_regime":
        claims["regime"] = "lgpd"
    elif case == "no_email":
        del claims["email"]
    elif case == "bad_callback":
        claims["status_callback"] = "http://169.254.169.254/latest"
    elif case == "no_token":
        auth = ""
    elif case == "unknown_token":
        auth = "Bearer not-a-token"
    body = "%%% not base64" if case == "not_base64" else sign(key, claims)
    response = web.post("/v1/data-rights-request", body, content_type="text/plain", HTTP_AUTHORIZATION=auth)
    status, fatal, code = REFUSALS[case]
    assert response.status_code == status, response.content
    error = response.json()
    assert error == {"code": str(status), "message": error["message"], "fatal": fatal, "error": code}
    assert SUBJECT_EMAIL not in response.content.decode()
    assert not DataSubjectRequest.objects.exists() and not DrpRequest.objects.exists()
    # only the pairing messages were remembered: a refused message is not, so it cannot poison a retry
    assert SeenMessage.objects.count() == (2 if case == "other_agents_token" else 1)


def test_a_replayed_request_is_refused(web, drp_agent, agent_key):
    token = pair(web, AGENT_ID, agent_key)
    body = sign(agent_key, exercise_claims())
    assert post_exercise(web, token, body).status_code == 200
    replay = post_exercise(web, token, body)
    assert replay.status_code == 409
    assert replay.json() == {"code": "409", "message": replay.json()["message"], "fatal": True, "error": "drp_replayed"}
    assert DataSubjectRequest.objects.count() == 1


def test_a_signed_message_cut_or_altered_is_refused(web, drp_agent, agent_key):
    token = pair(web, AGENT_ID, agent_key)
    raw = bytearray(base64.b64decode(sign(agent_key, exercise_claims())))
    raw[-3] ^= 0x01  # one bit of the JSON
    response = post_exercise(web, token, base64.b64encode(bytes(raw)).decode())
    assert response.status_code == 403 and response.json()["error"] == "drp_bad_signature"
    assert post_exercise(web, token, base64.b64encode(b"x" * 64).decode()).json()["error"] == "drp_not_signed"


# --- status and revoke (2.02, 2.04) ---------------------------------------------------------------


def test_status_is_for_the_owning_agent_only(web, drp_agent, agent_key, globex_agent, acme):
    import base64 as b64

    from compliance.models import DrpAgent

    token = pair(web, AGENT_ID, agent_key)
    request_id = post_exercise(web, token, sign(agent_key, exercise_claims())).json()["request_id"]
    status = web.get(f"/v1/data-rights-request/{request_id}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert status.status_code == 200 and status.json()["request_id"] == request_id

    # another agent of the same covered business: 403 (2.02.1)
    colleague_key = nacl.signing.SigningKey.generate()
    DrpAgent.objects.create(
        tenant=acme, agent_id="SECOND_AA", business_id=BUSINESS_ID, verify_key=b64.b64encode(bytes(colleague_key.verify_key)).decode()
    )
    colleague = pair(web, "SECOND_AA", colleague_key)
    assert web.get(f"/v1/data-rights-request/{request_id}", HTTP_AUTHORIZATION=f"Bearer {colleague}").status_code == 403
    # another tenant's agent: 404, as for an id that does not exist
    other, other_key = globex_agent
    outsider = pair(web, other.agent_id, other_key, business_id=other.business_id)
    response = web.get(f"/v1/data-rights-request/{request_id}", HTTP_AUTHORIZATION=f"Bearer {outsider}")
    assert response.status_code == 404 and response.json()["code"] == "404"
    missing = web.get("/v1/data-rights-request/7a3e8bd4-4c1d-4d6e-9b6e-0c8a1f3a5e11", HTTP_AUTHORIZATION=f"Bearer {outsider}")
    assert missing.status_code == 404 and missing.json() == response.json()


def test_status_follows_the_request_and_denial_reasons_map(web, drp_agent, agent_key):
    token = pair(web, AGENT_ID, agent_key)
    request_id = post_exercise(web, token, sign(agent_key, exercise_claims(exercise="deletion"))).json()["request_id"]
    request = DataSubjectRequest.objects.get(pk=request_id)
    set_status(request=request, status="denied", actor="user:1", denial_reason="no_match")
    body = web.get(f"/v1/data-rights-request/{request_id}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert (body["status"], body["reason"]) == ("denied", "no_match")


def test_revoke_answers_revoked_and_cancels_the_request(web, drp_agent, agent_key):
    token = pair(web, AGENT_ID, agent_key)
    request_id = post_exercise(web, token, sign(agent_key, exercise_claims(exercise="deletion"))).json()["request_id"]
    body = sign(agent_key, {"reason": "I don't want my account deleted"})
    response = web.delete(f"/v1/data-rights-request/{request_id}", body, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert DataSubjectRequest.objects.get(pk=request_id).status == "cancelled"
    assert "account deleted" not in json.dumps(list(AuditEvent.objects.values_list("metadata", flat=True)))
    again = web.delete(
        f"/v1/data-rights-request/{request_id}", sign(agent_key, {"reason": "again"}), content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert again.status_code == 409 and again.json()["error"] == "drp_already_closed"


def test_revoke_needs_the_agents_signature(web, drp_agent, agent_key):
    token = pair(web, AGENT_ID, agent_key)
    request_id = post_exercise(web, token, sign(agent_key, exercise_claims(exercise="deletion"))).json()["request_id"]
    forged = sign(nacl.signing.SigningKey.generate(), {"reason": "x"})
    response = web.delete(f"/v1/data-rights-request/{request_id}", forged, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403 and response.json()["error"] == "drp_bad_signature"
    assert DataSubjectRequest.objects.get(pk=request_id).status == "open"


def test_the_verification_page_sends_the_email_again_and_only_the_newest_link_works(
    web, drp_agent, agent_key, django_capture_on_commit_callbacks
):
    token = pair(web, AGENT_ID, agent_key)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_exercise(web, token, sign(agent_key, exercise_claims(exercise="deletion", email_verified=False)))
    page = "/" + response.json()["user_verification_url"].split("://", 1)[1].split("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        resent = web.post(page, {"action": "resend"})
    assert resent.status_code == 200 and b"We sent the e-mail again" in resent.content
    first, second = mail.outbox
    assert second.to == [SUBJECT_EMAIL]

    def path_of(message):
        link = next(word for word in message.body.split() if "/verify/" in word)
        return "/" + link.split("://", 1)[1].split("/", 1)[1]

    assert web.post(path_of(first)).status_code == 410  # replaced
    assert web.post(path_of(second)).status_code == 302
    assert DataSubjectRequest.objects.get().status == "open"
    refused = web.post(page, {"action": "resend"})
    assert refused.status_code == 409 and b"needs no confirmation" in refused.content
