"""Global Privacy Control: Sec-GPC: 1 from a known subject is one CCPA opt-out record per subject."""

import pytest
from django.test import RequestFactory

from compliance.models import DataSubjectRequest
from compliance.protocols import gpc
from compliance.protocols.models import GpcOptOut
from governance.crypto import blind_index
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_members_api_calls_with_the_signal_record_one_opt_out(bob, alice):
    for _ in range(3):
        assert bob.api.get("/api/v1/consent/", HTTP_SEC_GPC="1").status_code in (200, 403)
    record = GpcOptOut.objects.get()
    assert (record.tenant, record.subject_index, record.via) == (bob.tenant, blind_index("bob@acme.example"), "api")
    request = record.request
    assert (request.kind, request.regime, request.source, request.status) == ("opt_out", "ccpa", "gpc", "fulfilled")
    assert request.email == "bob@acme.example"
    assert DataSubjectRequest.objects.count() == 1
    # the audit trail names the request, not the person
    events = AuditEvent.objects.filter(target_id=str(request.pk))
    assert {e.action for e in events} == {"privacy_request.filed", "privacy_request.fulfilled"}
    assert "bob" not in str(list(events.values_list("metadata", "actor")))


@pytest.mark.parametrize("header", [None, "0", "true", ""])
def test_no_signal_no_record(bob, header):
    extra = {} if header is None else {"HTTP_SEC_GPC": header}
    bob.api.get("/api/v1/consent/", **extra)
    assert not GpcOptOut.objects.exists() and not DataSubjectRequest.objects.exists()


def test_an_unauthenticated_call_records_nothing(client):
    client.get("/api/v1/consent/", HTTP_SEC_GPC="1", HTTP_AUTHORIZATION="Bearer sg_bad_key")
    assert not GpcOptOut.objects.exists()


def test_honour_signal_for_a_verified_subjects_page(acme, globex):
    factory = RequestFactory()
    with_signal = factory.get("/privacy/acme/status", HTTP_SEC_GPC="1")
    first = gpc.honour_signal(with_signal, tenant=acme, email="Subject@Example.org")
    again = gpc.honour_signal(with_signal, tenant=acme, email="subject@example.org ")
    assert first is not None and first.pk == again.pk and first.via == "page"
    assert gpc.honour_signal(factory.get("/privacy/acme/status"), tenant=acme, email="other@example.org") is None
    elsewhere = gpc.honour_signal(with_signal, tenant=globex, email="subject@example.org")
    assert elsewhere.pk != first.pk and elsewhere.tenant == globex
    assert GpcOptOut.objects.count() == 2
    assert DataSubjectRequest.objects.filter(source="gpc").count() == 2


def test_the_opt_out_survives_retention_of_its_request_record(acme):
    record = gpc.honour_signal(RequestFactory().get("/", HTTP_SEC_GPC="1"), tenant=acme, email="s@example.org")
    DataSubjectRequest.objects.filter(pk=record.request_id).delete()
    record.refresh_from_db()
    assert record.request is None
    again = gpc.honour_signal(RequestFactory().get("/", HTTP_SEC_GPC="1"), tenant=acme, email="s@example.org")
    assert again.pk == record.pk
