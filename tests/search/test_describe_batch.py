"""The batch provider stage (search.describe_batch) against the fake provider server, through each
provider's official SDK: every job ends once and right, consent is read before each send, faults
end with the pipeline's error codes, and a tenant blurring faces is never taken by it."""

import io
import logging

import pytest

from governance import consent
from governance.models import AuditEvent, StoredObject, Tenant
from governance.storage import objectstore
from search.describe_batch import DescribeStage
from search.matching import rank_documents
from search.models import Document, SearchJob, UsageEvent
from tests.conftest import make_jpeg
from tests.fakes.fixtures import allow_provider, provider_server, use_provider  # noqa: F401
from tests.fakes.provider_server import DEFAULT_TEXT, Reply

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def batch_stage(settings):
    settings.VISION_BATCH_STAGE = True


def upload(actor, capture, n=1, context="falcon gearbox"):
    """n searches through the API, as a user makes them; with the batch stage nothing is queued on Celery."""
    for _ in range(n):
        image = io.BytesIO(make_jpeg())
        image.name = "photo.jpg"
        with capture(execute=True) as callbacks:
            response = actor.api.post("/api/v1/search-jobs/", {"image": image, "context": context}, format="multipart")
        assert response.status_code == 202, response.content
        assert len(callbacks) == 1  # the one _queue callback, which sends no task for this tenant
    return list(SearchJob.objects.order_by("created_at"))


def no_blur(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(face_blur=False)


def settle(stage: DescribeStage) -> None:
    stage.run(until_idle=True)


def ends(jobs):
    return sorted((j.status, j.error_code, j.attempts) for j in SearchJob.objects.filter(pk__in=[j.pk for j in jobs]))


def assert_images_deleted(jobs):
    for job in SearchJob.objects.filter(pk__in=[j.pk for j in jobs]):
        stored = StoredObject.objects.get(pk=job.image_id)
        assert stored.deleted_at is not None and stored.deleted_reason == "job_ended"
        assert not objectstore.backend().exists(stored.key)


def test_a_batch_of_jobs_ends_done_once_each(use_provider, bob, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    no_blur(bob.tenant)
    Document.objects.create(tenant=bob.tenant, title="Spur gearbox", text="Two spur gears on a splined shaft.")
    Document.objects.create(tenant=bob.tenant, title="Aluminium housing", text="A cast housing for a steel gearbox.")
    jobs = upload(bob, django_capture_on_commit_callbacks, n=7)
    assert {j.status for j in jobs} == {"queued"}
    settle(DescribeStage(threads=3, batch=2, poll_seconds=0.01))
    assert ends(jobs) == [("done", "", 1)] * 7
    expected = rank_documents(tenant_id=bob.tenant.pk, text=DEFAULT_TEXT, limit=10)
    assert len(expected) == 2
    for job in jobs:
        assert list(job.results.values_list("document_id", "score")) == [(pk, pytest.approx(s)) for pk, s in expected]
    assert {j.description for j in SearchJob.objects.all()} == {DEFAULT_TEXT}
    assert len(server.requests) == 7
    assert sorted(UsageEvent.objects.values_list("outcome", "provider", "used_context")) == [("done", key, True)] * 7
    done = AuditEvent.objects.filter(action="search_job.done")
    assert sorted(done.values_list("target_id", flat=True)) == sorted(str(j.pk) for j in jobs)
    assert_images_deleted(jobs)
    body = bob.api.get(f"/api/v1/search-jobs/{jobs[0].pk}/").json()
    assert (body["status"], body["description"]) == ("done", DEFAULT_TEXT)


def test_a_tenant_blurring_faces_is_never_taken(provider_server, settings, bob, django_capture_on_commit_callbacks):
    from tests.fakes.fixtures import point_settings_at

    point_settings_at(settings, "gemini", provider_server)
    allow_provider(bob.tenant, "gemini")
    job = SearchJob.objects.create(tenant=bob.tenant, created_by=bob.user, provider="gemini")  # queued, unblurred
    settle(DescribeStage(threads=2, poll_seconds=0.01))
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 0)
    assert provider_server.requests == []


@pytest.mark.parametrize(
    "reply,code",
    [
        (Reply(status=429, retry_after=0), "provider_rate_limited"),
        (Reply(status=500), "provider_unavailable"),
        (Reply(delay=1.5), "provider_unavailable"),  # past VISION_TIMEOUT_SECONDS (1 s in these tests)
    ],
    ids=["429", "500", "timeout"],
)
def test_passing_failures_are_retried_a_bounded_number_of_times_then_fail(
    settings, use_provider, bob, reply, code, django_capture_on_commit_callbacks
):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    no_blur(bob.tenant)
    server.answer_always(reply)
    jobs = upload(bob, django_capture_on_commit_callbacks, n=2)
    settle(DescribeStage(threads=2, poll_seconds=0.01))
    tries = settings.VISION_MAX_RETRIES + 1
    assert ends(jobs) == [("failed", code, tries)] * 2
    assert len(server.requests) == 2 * tries
    assert list(UsageEvent.objects.values_list("outcome", flat=True)) == [code] * 2
    assert_images_deleted(jobs)


def test_a_passing_failure_then_an_answer_ends_done(use_provider, bob, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    no_blur(bob.tenant)
    server.script(Reply(status=503), Reply(status=429, retry_after=0), Reply(text="A brass valve."))
    jobs = upload(bob, django_capture_on_commit_callbacks)
    settle(DescribeStage(threads=2, poll_seconds=0.01))
    job = SearchJob.objects.get()
    assert (job.status, job.description, job.attempts, job.error_code) == ("done", "A brass valve.", 3, "")
    assert UsageEvent.objects.get().outcome == "done"
    assert_images_deleted(jobs)


@pytest.mark.parametrize(
    "reply,code",
    [
        (Reply(kind="safety"), "provider_refused"),
        (Reply(kind="malformed"), "provider_error"),
        (Reply(status=400), "provider_error"),
        (Reply(status=429, retry_after=3600), "provider_rate_limited"),  # asks longer than we hold a job
    ],
    ids=["safety-block", "malformed-json", "400", "retry-after-too-long"],
)
def test_final_failures_end_at_the_first_answer(use_provider, bob, reply, code, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    no_blur(bob.tenant)
    server.answer_always(reply)
    jobs = upload(bob, django_capture_on_commit_callbacks, n=3)
    settle(DescribeStage(threads=4, poll_seconds=0.01))
    assert ends(jobs) == [("failed", code, 1)] * 3
    assert len(server.requests) == 3
    assert AuditEvent.objects.filter(action="search_job.failed").count() == 3
    assert_images_deleted(jobs)


def test_a_revocation_mid_batch_cancels_every_job_not_yet_sent(
    settings, use_provider, alice, bob, django_capture_on_commit_callbacks
):
    """Two jobs are in flight when the admin revokes: they were sent, so they end as answered — here
    a 429 each, so they wait to be tried again, and are then cancelled unsent. The two jobs still
    queued are cancelled without a call."""
    key, server = use_provider
    allow_provider(bob.tenant, key)
    no_blur(bob.tenant)
    settings.VISION_RETRY_BASE_SECONDS = settings.VISION_RETRY_MAX_SECONDS = 0.2
    server.script(Reply(status=429, retry_after=0, delay=0.2), Reply(status=429, retry_after=0, delay=0.2))
    jobs = upload(bob, django_capture_on_commit_callbacks, n=4)
    stage = DescribeStage(threads=2, poll_seconds=0.01)
    assert stage.step() == 2 and stage.in_flight == 2
    consent.revoke(tenant=bob.tenant, actor=alice.user)
    settle(stage)
    assert len(server.requests) == 2
    assert ends(jobs) == [("cancelled", "consent_revoked", 0)] * 2 + [("cancelled", "consent_revoked", 1)] * 2
    assert list(UsageEvent.objects.values_list("outcome", flat=True)) == ["consent_revoked"] * 4
    assert AuditEvent.objects.filter(action="search_job.cancelled").count() == 4
    assert_images_deleted(jobs)


def test_stopping_puts_jobs_waiting_for_a_retry_back_in_the_queue(
    settings, use_provider, bob, django_capture_on_commit_callbacks
):
    import threading

    key, server = use_provider
    allow_provider(bob.tenant, key)
    no_blur(bob.tenant)
    settings.VISION_RETRY_BASE_SECONDS = settings.VISION_RETRY_MAX_SECONDS = 60
    server.script(Reply(status=503))
    jobs = upload(bob, django_capture_on_commit_callbacks)
    stage, stop = DescribeStage(threads=2, poll_seconds=0.01), threading.Event()
    stage.step()
    while stage.in_flight:
        stage.step()
    assert len(stage.waiting) == 1
    stop.set()
    stage.run(stop=stop)
    assert ends(jobs) == [("queued", "", 1)]
    settle(DescribeStage(threads=2, poll_seconds=0.01))  # another process takes it on
    assert ends(jobs) == [("done", "", 2)]


def test_nothing_of_the_searchers_content_reaches_the_logs(use_provider, bob, caplog, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    no_blur(bob.tenant)
    caplog.set_level(logging.DEBUG)
    server.script(Reply(status=429, retry_after=0), Reply(kind="malformed"), Reply(text="SECRET-DESCRIPTION turbine"))
    upload(bob, django_capture_on_commit_callbacks, n=3, context="SECRET-CONTEXT falcon")
    settle(DescribeStage(threads=1, poll_seconds=0.01))
    assert sorted(SearchJob.objects.values_list("status", flat=True)) == ["done", "done", "failed"]
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert "provider_rate_limited" in logged and "provider_error" in logged
    for secret in ("SECRET-CONTEXT", "SECRET-DESCRIPTION", "turbine", "bob@acme.example", "/9j/"):
        assert secret not in logged, secret
