"""Helpers for the protocol tests: an agent's signing key (PyNaCl, i.e. libsodium itself), signed
messages as the DRP spec builds them, and a real local HTTP server that records callbacks."""

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nacl.signing
import pytest

from compliance.models import DrpAgent, OpenDsrController
from compliance.protocols.opendsr import new_token

AGENT_ID = "CR_AA_DRP_ID_001"
BUSINESS_ID = "ACME_CB"
SUBJECT_EMAIL = "pii-marker-jane@example.org"


def iso(delta_seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta_seconds)).isoformat().replace("+00:00", "Z")


def sign(key: nacl.signing.SigningKey, claims: dict | bytes) -> str:
    """libsodium combined mode (signature || message), base64 — what an agent sends as text/plain."""
    message = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    return base64.b64encode(key.sign(message)).decode()


def pairing_claims(agent_id=AGENT_ID, business_id=BUSINESS_ID, **overrides) -> dict:
    claims = {
        "agent-id": agent_id,
        "business-id": business_id,
        "issued-at": iso(),
        "expires-at": iso(600),
        "drp.version": "1.0",
    }
    claims.update(overrides)
    return claims


def exercise_claims(**overrides) -> dict:
    """The spec's 2.01 example, with identity claims of 3.04."""
    claims = {
        "agent-id": AGENT_ID,
        "business-id": BUSINESS_ID,
        "issued-at": iso(),
        "expires-at": iso(600),
        "agent-request-id": "foo",
        "drp.version": "1.0",
        "exercise": "sale:opt-out",
        "regime": "ccpa",
        "relationships": ["customer", "marketing"],
        "name": "Jane Marker",
        "email": SUBJECT_EMAIL,
        "email_verified": True,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
def agent_key():
    return nacl.signing.SigningKey.generate()


@pytest.fixture
def drp_agent(acme, agent_key):
    verify_key = base64.b64encode(bytes(agent_key.verify_key)).decode()
    return DrpAgent.objects.create(tenant=acme, agent_id=AGENT_ID, business_id=BUSINESS_ID, verify_key=verify_key)


@pytest.fixture
def globex_agent(globex):
    key = nacl.signing.SigningKey.generate()
    agent = DrpAgent.objects.create(
        tenant=globex,
        agent_id="OTHER_AA",
        business_id="GLOBEX_CB",
        verify_key=base64.b64encode(bytes(key.verify_key)).decode(),
    )
    return agent, key


def pair(client, agent_id, key, **overrides) -> str:
    response = client.post(
        f"/v1/agent/{agent_id}", sign(key, pairing_claims(agent_id=agent_id, **overrides)), content_type="text/plain"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def make_controller(tenant, controller_id="acme-cdp"):
    token, digest = new_token()
    controller = OpenDsrController.objects.create(tenant=tenant, controller_id=controller_id, token_hash=digest)
    return controller, token


class CallbackServer:
    """http.server in a thread: records every POST (path, headers, body); answers `status`."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer.received.append({"path": self.path, "headers": self.headers, "body": self.rfile.read(length)})
                self.send_response(outer.status)
                self.end_headers()
                self.wfile.write(b"ignored")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def callback_server(settings):
    settings.PROTOCOL_CALLBACKS_ALLOW_HTTP = True  # the local server speaks plain http
    server = CallbackServer()
    yield server
    server.close()
