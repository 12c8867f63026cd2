"""Protocol endpoints: what a signed DRP request and an OpenDSR request cost over plain filing.

    .venv/bin/python bench/protocols.py            # SQLite (test database)
    DATABASE_URL=postgres://... .venv/bin/python bench/protocols.py

Floor: compliance.requests.file_request in one transaction (what the form does). Measured in the
same run: the Ed25519 check alone; drp.exercise (decode, verify, claims, replay record, filing,
link row); the whole DRP HTTP round trip through Django's test client (token lookup included);
the OpenDSR POST (JSON validation, filing, RSA-SHA256 signed response); and an API call with
Sec-GPC: 1 for a subject already opted out vs the same call without the header.
Messages are signed before the clock starts (each one is accepted once). Medians of 5 runs.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.testdb import run_in_test_database  # noqa: E402

RUNS, CALLS = 5, 100


def median_per_call(make_batch, fn):
    """make_batch() -> list of args prepared outside the clock; fn(arg) is timed."""
    samples = []
    for _ in range(RUNS):
        batch = make_batch()
        start = time.perf_counter()
        for arg in batch:
            fn(arg)
        samples.append((time.perf_counter() - start) / len(batch))
    return statistics.median(samples)


def main():
    run_in_test_database(run)


def run():
    import base64
    import json
    import uuid

    import nacl.signing
    from django.test import Client
    from rest_framework.test import APIClient

    from compliance.models import DrpAgent
    from compliance.protocols import drp, signatures
    from compliance.requests import file_request
    from governance.tenancy.tenants import create_tenant
    from tests.compliance.protocols.fixtures import (
        exercise_claims,
        make_controller,
        pair,
        sign,
    )

    tenant, membership, api_key = create_tenant(slug="acme", admin_email="alice@acme.example")
    key = nacl.signing.SigningKey.generate()
    agent = DrpAgent.objects.create(
        tenant=tenant, agent_id="CR_AA_DRP_ID_001", business_id="ACME_CB",
        verify_key=base64.b64encode(bytes(key.verify_key)).decode(),
    )  # fmt: skip
    web = Client()
    token = pair(web, agent.agent_id, key)
    _, controller_token = make_controller(tenant)
    signatures.processor_keys()  # load (or generate) the processor key before the clock

    def signed_batch():
        return [sign(key, exercise_claims(exercise="deletion", **{"agent-request-id": uuid.uuid4().hex})) for _ in range(CALLS)]

    def floor(_):
        with transaction.atomic():
            file_request(tenant=tenant, kind="erasure", regime="ccpa", email="jane@example.org", source="drp", verified=True)

    def verify_only(body):
        sig, msg = signatures.split_signed(body)
        signatures.verify_ed25519(signature=sig, message=msg, verify_key_b64=agent.verify_key)

    def exercise(body):
        drp.exercise(agent=agent, body=body.encode())

    def over_http(body):
        r = web.post("/v1/data-rights-request", body, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert r.status_code == 200, r.content

    def opendsr_batch():
        return [
            json.dumps({
                "subject_request_id": str(uuid.uuid4()), "regulation": "gdpr", "subject_request_type": "erasure",
                "submitted_time": "2026-11-23T15:00:00Z", "api_version": "2.0",
                "subject_identities": [{"identity_type": "email", "identity_value": "jane@example.org", "identity_format": "raw"}],
            })  # fmt: skip
            for _ in range(CALLS)
        ]

    def opendsr_post(body):
        r = web.post("/opendsr/v2/requests", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {controller_token}")
        assert r.status_code == 201, r.content

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key}")
    api.get("/api/v1/consent/", HTTP_SEC_GPC="1")  # the opt-out exists from here on

    rows = [
        ("floor: file_request (one transaction)", median_per_call(lambda: [None] * CALLS, floor)),
        ("Ed25519 check alone (split + verify)", median_per_call(signed_batch, verify_only)),
        ("drp.exercise (verify, claims, replay row, file, link)", median_per_call(signed_batch, exercise)),
        ("DRP POST /v1/data-rights-request over Django's test client", median_per_call(signed_batch, over_http)),
        ("OpenDSR POST /opendsr/v2/requests (RSA-signed answer)", median_per_call(opendsr_batch, opendsr_post)),
        ("API GET /api/v1/consent/ without Sec-GPC", median_per_call(lambda: [None] * CALLS, lambda _: api.get("/api/v1/consent/"))),
        ("API GET /api/v1/consent/ with Sec-GPC: 1 (already opted out)", median_per_call(lambda: [None] * CALLS, lambda _: api.get("/api/v1/consent/", HTTP_SEC_GPC="1"))),
    ]
    base = rows[0][1]
    vendor = connection.vendor
    print(f"database: {vendor}; {RUNS} runs x {CALLS} calls, medians\n")
    print("| work | per call | ratio to file_request |")
    print("| --- | --- | --- |")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.2f} ms | {seconds / base:.2f}x |")
    gpc_ratio = rows[-1][1] / rows[-2][1]
    print(f"\nAPI call with the GPC signal vs without: {gpc_ratio:.2f}x")


if __name__ == "__main__":
    main()
