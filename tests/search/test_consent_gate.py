"""The consent gate: nothing is sent to a provider's company without the tenant's valid consent."""

import io

import pytest

from governance import consent
from governance.models import AuditEvent, StoredObject, Subprocessor, TermsVersion
from governance.storage import objectstore
from search import pipeline
from search.models import SearchJob, UsageEvent
from tests.conftest import make_jpeg
from tests.search.recording_provider import RecordingProvider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def gemini(settings):
    settings.VISION_PROVIDER = "gemini"
    settings.VISION_PROVIDER_CLASSES = {"gemini": "tests.search.recording_provider.RecordingProvider"}
    RecordingProvider.calls = []
    yield RecordingProvider.calls


def upload(actor, context="a blue widget"):
    image = io.BytesIO(make_jpeg())
    image.name = "photo.jpg"
    return actor.api.post("/api/v1/search-jobs/", {"image": image, "context": context}, format="multipart")


def nothing_stored():
    return not SearchJob.objects.exists() and not StoredObject.objects.exists() and not list(
        objectstore.backend().list_keys(""))


def test_without_consent_a_search_is_refused_and_nothing_is_stored(bob, gemini, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(bob)
    assert response.status_code == 403
    body = response.json()
    assert (body["code"], body["version"], body["provider"]) == ("consent_required", "1.0", "gemini")
    assert "1.0" in body["detail"]
    assert nothing_stored() and gemini == []
    assert not UsageEvent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="search_job").exists()


def test_after_the_admin_accepts_the_search_runs(alice, bob, gemini, django_capture_on_commit_callbacks):
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(bob)
    assert response.status_code == 202, response.content
    job = SearchJob.objects.get()
    assert (job.status, job.provider, job.description) == ("done", "gemini", "A recorded description of a blue widget.")
    assert len(gemini) == 1 and gemini[0]["context"] == "a blue widget"
    assert StoredObject.objects.get().deleted_at is not None


def test_consent_of_another_tenant_does_not_open_the_gate(charlie, bob, gemini):
    consent.accept(tenant=charlie.tenant, version="1.0", actor=charlie.user)
    assert upload(bob).json()["code"] == "consent_required"
    assert nothing_stored()


def test_revoked_between_upload_and_worker_the_job_is_cancelled_and_nothing_sent(alice, bob, gemini):
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    assert upload(bob).status_code == 202  # not committed: the job waits in the queue
    job = SearchJob.objects.get()
    consent.revoke(tenant=alice.tenant, actor=alice.user)

    assert pipeline.prepare(job_id=job.pk)
    job = pipeline.describe(job_id=job.pk)
    assert (job.status, job.error_code, job.description) == ("cancelled", "consent_revoked", "")
    assert gemini == []
    image = StoredObject.objects.get(pk=job.image_id)
    assert image.deleted_at is not None and not objectstore.backend().exists(image.key)
    assert UsageEvent.objects.get().outcome == "consent_revoked"
    assert AuditEvent.objects.filter(action="search_job.cancelled").get().metadata == {"error_code": "consent_revoked"}
    assert bob.api.get(f"/api/v1/search-jobs/{job.pk}/").json()["error_code"] == "consent_revoked"


def test_revoking_stops_new_jobs_at_once(alice, bob, gemini, django_capture_on_commit_callbacks):
    alice.api.post("/api/v1/consent/accept", {"version": "1.0"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(bob).status_code == 202
    alice.api.post("/api/v1/consent/revoke")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(bob)
    assert (response.status_code, response.json()["code"]) == (403, "consent_required")
    assert SearchJob.objects.count() == 1 and len(gemini) == 1


def publish(version, providers, *, requires_reacceptance=True):
    terms = TermsVersion.objects.create(version=version, text="New terms.", requires_reacceptance=requires_reacceptance)
    for key in providers:
        Subprocessor.objects.create(terms=terms, provider_key=key, company=key, service=key)
    return consent.publish(terms=terms, actor=None)


def test_a_new_version_requiring_reacceptance_blocks_new_jobs_until_accepted(alice, bob, gemini, django_capture_on_commit_callbacks):
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    upload(bob)  # queued before the new version
    queued = SearchJob.objects.get()
    publish("2.0", ["gemini"])

    response = upload(bob)
    assert (response.status_code, response.json()["code"], response.json()["version"]) == (403, "consent_required", "2.0")
    pipeline.prepare(job_id=queued.pk)
    assert (pipeline.describe(job_id=queued.pk).error_code) == "consent_required"
    assert gemini == []

    consent.accept(tenant=alice.tenant, version="2.0", actor=alice.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(bob).status_code == 202
    assert len(gemini) == 1


def test_a_version_that_drops_the_configured_provider_closes_the_gate(alice, bob, gemini):
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    publish("1.1", ["openai"], requires_reacceptance=False)
    assert upload(bob).json()["code"] == "consent_required"


def test_the_offline_provider_needs_no_consent(bob, settings, django_capture_on_commit_callbacks):
    settings.VISION_PROVIDER = "offline"
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(bob)
    assert response.status_code == 202
    assert SearchJob.objects.get().status == "done"
    assert consent.consent_status(tenant=bob.tenant).status == "not_accepted"


def test_an_unknown_provider_key_is_a_configuration_error(settings):
    from search.providers import get_provider

    settings.VISION_PROVIDER = "nosuch"
    with pytest.raises(ValueError):
        get_provider()
    assert get_provider("offline").subprocessor is None
