"""Global Privacy Control: Sec-GPC: 1 from a known subject is one CCPA opt-out per subject, in force at once."""

import pytest
from django.core import mail
from django.test import RequestFactory

from compliance.models import DataSubjectRequest, SaleOptOut
from compliance.protocols import gpc
from governance.crypto import blind_index
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_members_api_calls_with_the_signal_record_one_opt_out(bob, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert bob.api.get("/api/v1/consent/", HTTP_SEC_GPC="1").status_code in (200, 403)
    record = SaleOptOut.objects.get()
    assert (record.tenant, record.subject_index, record.source) == (bob.tenant, blind_index("bob@acme.example"), "gpc")
    request = DataSubjectRequest.objects.get()
    assert (request.kind, request.regime, request.source, request.status) == ("opt_out", "ccpa", "gpc", "fulfilled")
    assert request.email == "bob@acme.example"
    assert [m.to for m in mail.outbox] == [["bob@acme.example"]]  # one confirmation, not one per call
    # the audit trail names the request, not the person
    events = AuditEvent.objects.filter(target_id=str(request.pk))
    assert {e.action for e in events} == {"privacy_request.filed", "privacy_request.fulfilled"}
    assert "bob" not in str(list(AuditEvent.objects.values_list("metadata", "actor")))


@pytest.mark.parametrize("header", [None, "0", "true", ""])
def test_no_signal_no_record(bob, header):
    extra = {} if header is None else {"HTTP_SEC_GPC": header}
    bob.api.get("/api/v1/consent/", **extra)
    assert not SaleOptOut.objects.exists() and not DataSubjectRequest.objects.exists()


def test_an_unauthenticated_call_records_nothing(client):
    client.get("/api/v1/consent/", HTTP_SEC_GPC="1", HTTP_AUTHORIZATION="Bearer sg_bad_key")
    assert not SaleOptOut.objects.exists()


def test_honour_signal_for_a_verified_subjects_page(acme, globex):
    factory = RequestFactory()
    with_signal = factory.get("/privacy/acme/status", HTTP_SEC_GPC="1")
    first = gpc.honour_signal(with_signal, tenant=acme, email="Subject@Example.org")
    again = gpc.honour_signal(with_signal, tenant=acme, email="subject@example.org ")
    assert first is not None and first.pk == again.pk and first.source == "gpc"
    assert gpc.honour_signal(factory.get("/privacy/acme/status"), tenant=acme, email="other@example.org") is None
    elsewhere = gpc.honour_signal(with_signal, tenant=globex, email="subject@example.org")
    assert elsewhere.pk != first.pk and elsewhere.tenant == globex
    assert SaleOptOut.objects.count() == 2
    assert DataSubjectRequest.objects.filter(source="gpc").count() == 2


def test_an_opt_out_already_in_force_is_not_filed_again(acme):
    from compliance import intake

    intake.file_public(tenant_slug=acme.slug, kind="opt_out", regime="ccpa", email="s@example.org", source="form")
    record = gpc.honour_signal(RequestFactory().get("/", HTTP_SEC_GPC="1"), tenant=acme, email="s@example.org")
    assert record.source == "form"
    assert DataSubjectRequest.objects.count() == 1


def test_the_signal_on_the_verification_page_records_the_subjects_opt_out(client, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/privacy-requests/", {"tenant": acme.slug, "kind": "access", "regime": "ccpa",
                                                  "email": "subject@example.org"}, content_type="application/json")
    link = next(w for m in mail.outbox for w in m.body.split() if "/verify/" in w)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.post("/" + path, HTTP_SEC_GPC="1").status_code == 302
    opt_out = SaleOptOut.objects.get()
    assert (opt_out.tenant, opt_out.subject_index, opt_out.source) == (acme, blind_index("subject@example.org"), "gpc")


def test_the_signal_on_the_api_verification_records_the_subjects_opt_out(client, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/privacy-requests/", {"tenant": acme.slug, "kind": "erasure", "regime": "gdpr",
                                                  "email": "subject@example.org"}, content_type="application/json")
    link = next(w for m in mail.outbox for w in m.body.split() if "/verify/" in w)
    token = link.rstrip("/").rsplit("/", 1)[1]
    response = client.post(f"/api/v1/privacy-requests/verify/{token}/", HTTP_SEC_GPC="1")
    assert response.status_code == 200 and response.json()["status"] == "open"
    assert SaleOptOut.objects.get().subject_index == blind_index("subject@example.org")
