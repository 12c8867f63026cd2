"""Transfers to sub-processors: one record per provider call (through each official SDK against the
fake provider server), nothing personal in it; named in the proof of erasure and in the export."""

import io
import json
import zipfile

import pytest

from compliance import export, review
from compliance.requests import file_request
from governance import transfers
from governance.crypto import blind_index
from governance.datamap import DATA_MAP
from governance.models import Transfer
from search.models import SearchJob
from tests.conftest import make_jpeg
from tests.fakes.fixtures import allow_provider, provider_server, use_provider  # noqa: F401
from tests.fakes.provider_server import Reply

pytestmark = pytest.mark.django_db
BOB = "bob@acme.example"


def run_search(actor, capture, context="falcon gearbox prototype"):
    image = io.BytesIO(make_jpeg())
    with capture(execute=True):
        response = actor.api.post("/api/v1/search-jobs/", {"image": image, "context": context}, format="multipart")
    assert response.status_code == 202, response.content
    return SearchJob.objects.get(pk=response.json()["id"])


def test_each_provider_call_records_a_transfer_with_nothing_personal(use_provider, bob, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    job = run_search(bob, django_capture_on_commit_callbacks)
    assert job.status == "done"
    transfer = Transfer.objects.get()
    assert (transfer.tenant_id, transfer.subprocessor, transfer.job_id) == (bob.tenant.pk, key, job.pk)
    assert transfer.terms.version == "1.0" and transfer.subject_index == blind_index(BOB)
    assert transfer.endpoint == server.url.split("//", 1)[1]
    assert 0 < transfer.bytes_sent < len(server.requests[0].body)  # the cleaned image's bytes, sent inside the call
    text = json.dumps([transfer.subprocessor, transfer.endpoint, str(transfer.job_id), transfer.subject_index])
    assert "falcon" not in text and "bob" not in text


def test_a_retried_call_is_a_transfer_each_time(settings, provider_server, bob, django_capture_on_commit_callbacks):
    from tests.fakes.fixtures import point_settings_at

    point_settings_at(settings, "openai", provider_server)
    allow_provider(bob.tenant, "openai")
    provider_server.script(Reply(status=503))
    job = run_search(bob, django_capture_on_commit_callbacks)
    assert job.status == "done" and Transfer.objects.filter(job_id=job.pk).count() == 2 == len(provider_server.requests)


def test_the_offline_provider_transfers_nothing(bob, django_capture_on_commit_callbacks):
    assert run_search(bob, django_capture_on_commit_callbacks).status == "done"
    assert not Transfer.objects.exists()


def test_proof_and_export_name_the_recipients_and_what_they_may_keep(
        settings, provider_server, alice, bob, django_capture_on_commit_callbacks):
    from tests.fakes.fixtures import point_settings_at

    point_settings_at(settings, "gemini", provider_server)
    allow_provider(bob.tenant, "gemini")
    run_search(bob, django_capture_on_commit_callbacks)
    run_search(bob, django_capture_on_commit_callbacks)
    run_search(alice, django_capture_on_commit_callbacks)  # someone else's searches are not bob's recipients

    archive = io.BytesIO()
    manifest = export.write_archive(archive, tenant=bob.tenant, subject_index=blind_index(BOB))
    [named] = manifest["images_sent_to"]
    assert (named["company"], named["calls"], named["terms_version"]) == ("Google", 2, "1.0")
    assert "abuse-monitoring" in named["retention"]
    section = export.section_name(next(iter(DATA_MAP.for_model(Transfer))))
    rows = json.loads(zipfile.ZipFile(archive).read("data/usage_events.json"))[section]
    assert [r["subprocessor"] for r in rows] == ["gemini", "gemini"]

    request = file_request(tenant=bob.tenant, kind="erasure", regime="gdpr", email=BOB, source="form", verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(request=request, actor=alice.user)
    request.refresh_from_db()
    [received] = request.proof["subprocessors_that_received_images"]
    assert received["company"] == "Google" and received["calls"] == 2
    assert received["first_sent_at"] <= received["last_sent_at"]
    # The records stay for the tenant, without whose searches they were.
    assert Transfer.objects.filter(tenant=bob.tenant).count() == 3
    assert not Transfer.objects.filter(subject_index=blind_index(BOB)).exists()
    assert transfers.recipients(tenant_id=bob.tenant.pk, subject_index=blind_index(BOB)) == []


def test_transfers_per_subprocessor_per_day(settings, provider_server, bob, dave, django_capture_on_commit_callbacks):
    from tests.fakes.fixtures import point_settings_at

    point_settings_at(settings, "anthropic", provider_server)
    allow_provider(bob.tenant, "anthropic")
    allow_provider(dave.tenant, "anthropic")
    run_search(bob, django_capture_on_commit_callbacks)
    run_search(bob, django_capture_on_commit_callbacks)
    run_search(dave, django_capture_on_commit_callbacks)
    [day] = transfers.per_day(tenant_ids={bob.tenant.pk})
    assert (day.subprocessor, day.calls) == ("anthropic", 2) and day.bytes > 0


def test_tenant_admins_see_their_transfers_per_day_and_no_one_else_s(client, alice, charlie, bob):
    from governance.transfers import record

    record(tenant_id=bob.tenant.pk, subprocessor="gemini", job_id=None, user_id=bob.user.pk, bytes_sent=1234,
           endpoint="generativelanguage.googleapis.com")
    url = "/admin/governance/transferstatistics/"
    client.force_login(alice.user)
    page = client.get(url)
    assert page.status_code == 200 and b"<td>gemini</td><td>1</td><td>1234</td>" in page.content
    client.force_login(charlie.user)  # another tenant's admin
    page = client.get(url)
    assert page.status_code == 200 and b"gemini" not in page.content
    assert client.get(url, {"tenant": bob.tenant.pk}).status_code == 404
    client.force_login(bob.user)  # a member, not an admin
    assert client.get(url).status_code in (302, 403)
