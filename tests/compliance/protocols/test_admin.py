"""Admin pages: the operator registers agents and controllers; tenant admins see their own rows only."""

import base64

import nacl.signing
import pytest
from django.test import Client, RequestFactory

from compliance.models import DrpAgent, OpenDsrController
from compliance.protocols import gpc
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db

AGENTS = "/admin/compliance/drpagent/"
CONTROLLERS = "/admin/compliance/opendsrcontroller/"
OPT_OUTS = "/admin/compliance/saleoptout/"


def web(user):
    client = Client()
    client.force_login(user)
    return client


def verify_key():
    return base64.b64encode(bytes(nacl.signing.SigningKey.generate().verify_key)).decode()


def test_the_operator_registers_an_agents_key(operator, acme):
    client = web(operator)
    data = {"tenant": acme.pk, "agent_id": "CR_AA_DRP_ID_001", "business_id": "ACME_CB", "name": "", "verify_key": verify_key(), "active": "on"}
    response = client.post(AGENTS + "add/", data)
    assert response.status_code == 302, response.content
    agent = DrpAgent.objects.get()
    assert AuditEvent.objects.filter(action="drp.agent_registered", target_id=str(agent.pk)).exists()
    bad = client.post(AGENTS + "add/", {**data, "business_id": "B2", "verify_key": "bm90IGEga2V5"})
    assert bad.status_code == 200 and DrpAgent.objects.count() == 1  # 9 bytes is no Ed25519 key


def test_the_operator_gets_a_controller_token_once(operator, acme):
    response = web(operator).post(CONTROLLERS + "add/", {"tenant": acme.pk, "controller_id": "acme-cdp", "name": "", "active": "on"}, follow=True)
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"] if "shown once" in str(m)]
    token = message.rsplit(" ", 1)[1]
    controller = OpenDsrController.objects.get()
    assert token not in controller.token_hash and len(controller.token_hash) == 64
    assert Client().get("/opendsr/v2/requests/00000000-0000-4000-8000-000000000000", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 404


def test_tenant_admins_see_their_own_rows_and_cannot_register(alice, charlie, acme, globex):
    DrpAgent.objects.create(tenant=acme, agent_id="ACME_AGENT", business_id="ACME_CB", verify_key=verify_key())
    DrpAgent.objects.create(tenant=globex, agent_id="GLOBEX_AGENT", business_id="GLOBEX_CB", verify_key=verify_key())
    gpc.honour_signal(RequestFactory().get("/", HTTP_SEC_GPC="1"), tenant=acme, email="acme-subject@example.org")
    gpc.honour_signal(RequestFactory().get("/", HTTP_SEC_GPC="1"), tenant=globex, email="globex-subject@example.org")

    page = web(alice.user).get(AGENTS).content.decode()
    assert "ACME_AGENT" in page and "GLOBEX_AGENT" not in page
    assert web(alice.user).get(AGENTS + "add/").status_code == 403
    opt_outs = web(charlie.user).get(OPT_OUTS)
    assert opt_outs.status_code == 200
    assert opt_outs.context["cl"].result_count == 1
    assert "subject@example.org" not in opt_outs.content.decode()
    other = DrpAgent.objects.get(agent_id="ACME_AGENT")
    assert web(charlie.user).get(f"{AGENTS}{other.pk}/change/").status_code == 404


def test_a_member_sees_no_protocol_admin(bob):
    bob.user.is_staff = True
    bob.user.save()
    assert web(bob.user).get(AGENTS).status_code == 403


def test_protocol_records_are_read_only_and_scoped(alice, charlie, operator, acme, drp_agent, agent_key, callback_server, django_capture_on_commit_callbacks):
    from compliance.models import CallbackDelivery, DrpRequest
    from compliance.requests import set_status
    from tests.compliance.protocols.fixtures import (
        AGENT_ID,
        SUBJECT_EMAIL,
        exercise_claims,
        pair,
        sign,
    )

    client = Client()
    token = pair(client, AGENT_ID, agent_key)
    with django_capture_on_commit_callbacks(execute=True):
        body = sign(agent_key, exercise_claims(status_callback=callback_server.url + "/cb", exercise="deletion"))
        response = client.post("/v1/data-rights-request", body, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")
        set_status(request=DrpRequest.objects.get().request, status="fulfilled", actor="system")
    assert response.status_code == 200 and CallbackDelivery.objects.count() == 1
    for path in ("/admin/compliance/drprequest/", "/admin/compliance/callbackdelivery/"):
        mine = web(alice.user).get(path)
        assert mine.status_code == 200 and mine.context["cl"].result_count == 1
        assert SUBJECT_EMAIL not in mine.content.decode()
        assert web(charlie.user).get(path).context["cl"].result_count == 0
        assert web(operator).get(path).context["cl"].result_count == 1
    delivery = CallbackDelivery.objects.get()
    assert web(alice.user).post(f"/admin/compliance/callbackdelivery/{delivery.pk}/delete/", {"post": "yes"}).status_code == 403
    assert web(charlie.user).get(f"/admin/compliance/callbackdelivery/{delivery.pk}/change/").status_code == 404
