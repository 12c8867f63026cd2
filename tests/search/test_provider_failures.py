"""Provider failures: bounded retries with backoff for passing ones, a recorded reason for every end,
the image deleted whatever the end, and nothing of the searcher's content in the logs."""

import io
import logging

import pytest

from governance.models import StoredObject
from governance.storage import objectstore
from search import pipeline
from search.models import SearchJob, UsageEvent
from tests.conftest import make_jpeg
from tests.fakes.fixtures import allow_provider, provider_server, use_provider  # noqa: F401
from tests.fakes.provider_server import Reply

pytestmark = pytest.mark.django_db


def run_search(actor, capture, context="falcon gearbox"):
    image = io.BytesIO(make_jpeg())
    image.name = "bobs-secret-prototype.jpg"
    with capture(execute=True):
        response = actor.api.post("/api/v1/search-jobs/", {"image": image, "context": context}, format="multipart")
    assert response.status_code == 202, response.content
    return SearchJob.objects.get(pk=response.json()["id"])


def assert_image_deleted(job):
    stored = StoredObject.objects.get(pk=job.image_id)
    assert stored.deleted_at is not None and stored.deleted_reason == "job_ended"
    assert not objectstore.backend().exists(stored.key)


@pytest.mark.parametrize(
    "reply,code",
    [
        (Reply(status=429, retry_after=0), "provider_rate_limited"),
        (Reply(status=500), "provider_unavailable"),
        (Reply(status=503), "provider_unavailable"),
        (Reply(delay=0.8), "provider_unavailable"),  # past VISION_TIMEOUT_SECONDS (0.3 s here)
    ],
    ids=["429", "500", "503", "timeout"],
)
def test_passing_failures_are_retried_a_bounded_number_of_times_then_fail(
    settings, use_provider, bob, reply, code, django_capture_on_commit_callbacks
):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    settings.VISION_TIMEOUT_SECONDS = 0.3
    server.answer_always(reply)
    job = run_search(bob, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.error_code) == ("failed", code)
    assert len(server.requests) == settings.VISION_MAX_RETRIES + 1 == job.attempts
    assert_image_deleted(job)
    assert UsageEvent.objects.get().outcome == code


def test_a_passing_failure_then_an_answer_ends_done(use_provider, bob, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    server.script(Reply(status=503), Reply(status=429, retry_after=0), Reply(text="A brass valve."))
    job = run_search(bob, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.description, job.attempts, job.error_code) == ("done", "A brass valve.", 3, "")
    assert len(server.requests) == 3
    assert_image_deleted(job)


@pytest.mark.parametrize(
    "reply,code",
    [
        (Reply(kind="safety"), "provider_refused"),
        (Reply(kind="safety_candidate"), "provider_refused"),
        (Reply(kind="malformed"), "provider_error"),
        (Reply(kind="shapeless"), "provider_error"),
        (Reply(status=400), "provider_error"),
    ],
    ids=["safety-block", "safety-finish", "malformed-json", "unexpected-json", "400"],
)
def test_final_failures_are_not_retried(use_provider, bob, reply, code, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    server.answer_always(reply)
    job = run_search(bob, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.error_code, job.description) == ("failed", code, "")
    assert len(server.requests) == 1
    assert_image_deleted(job)


def test_a_refused_job_reads_back_its_reason_by_api(use_provider, bob, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    server.answer_always(Reply(kind="safety"))
    job = run_search(bob, django_capture_on_commit_callbacks)
    body = bob.api.get(f"/api/v1/search-jobs/{job.pk}/").json()
    assert (body["status"], body["error_code"], body["description"], body["results"]) == (
        "failed", "provider_refused", "", []
    )


def test_nothing_of_the_searchers_content_reaches_the_logs(
    use_provider, bob, caplog, django_capture_on_commit_callbacks
):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    caplog.set_level(logging.DEBUG)  # the SDKs log request bodies at DEBUG: they must stay silent
    server.script(
        Reply(status=429, retry_after=0),
        Reply(status=503),
        Reply(text="SECRET-DESCRIPTION of a prototype turbine"),
    )
    done = run_search(bob, django_capture_on_commit_callbacks, context="SECRET-CONTEXT falcon")
    server.answer_always(Reply(kind="malformed"))
    failed = run_search(bob, django_capture_on_commit_callbacks, context="SECRET-CONTEXT again")
    done.refresh_from_db(), failed.refresh_from_db()
    assert (done.status, failed.error_code) == ("done", "provider_error")
    logged = caplog.text + "".join(repr(r.args) + repr(r.__dict__.get("data", "")) for r in caplog.records)
    assert "provider_rate_limited" in logged  # the failures are logged, by code...
    for secret in ("SECRET-CONTEXT", "SECRET-DESCRIPTION", "turbine", "bob@acme.example", "secret-prototype", "/9j/"):
        assert secret not in logged, secret  # ...and nothing of the content
    assert "_9j_" not in logged and "base64" not in logged


def test_retry_delay_backs_off_honours_retry_after_and_is_capped(settings):
    settings.VISION_RETRY_BASE_SECONDS = 2
    settings.VISION_RETRY_MAX_SECONDS = 120
    first, second, third = (pipeline.retry_delay(retries=n) for n in range(3))
    assert 2 <= first <= 2.5 and 4 <= second <= 5 and 8 <= third <= 10
    assert pipeline.retry_delay(retries=0, retry_after=30) == 30
    assert pipeline.retry_delay(retries=0, retry_after=0.5) >= 2
    assert pipeline.retry_delay(retries=0, retry_after=120) == 120
    assert pipeline.retry_delay(retries=0, retry_after=121) is None  # longer than we hold a job: give up
    assert pipeline.retry_delay(retries=20) == 120


@pytest.mark.parametrize(
    "value,expected",
    [("7", 7.0), ("0.5", 0.5), ("", None), ("soon", None), ("-3", 0.0)],
)
def test_retry_after_header_is_read_as_seconds(value, expected):
    from search.providers._common import retry_after_seconds

    assert retry_after_seconds({"retry-after": value}) == expected


def test_retry_after_as_an_http_date():
    import email.utils
    import time

    from search.providers._common import retry_after_seconds

    when = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= retry_after_seconds({"Retry-After": when}) <= 61


def test_the_task_waits_as_long_as_retry_after_says(settings, use_provider, bob, django_capture_on_commit_callbacks):
    """Celery's own retry signal shows the countdown each retry was scheduled with."""
    from celery.signals import task_retry

    key, server = use_provider
    allow_provider(bob.tenant, key)
    settings.VISION_MAX_RETRIES = 3
    settings.VISION_RETRY_MAX_SECONDS = 10
    settings.VISION_RETRY_BASE_SECONDS = 0.01
    server.script(Reply(status=429, retry_after=7), Reply(status=503), Reply(status=429, retry_after=3))
    countdowns = []

    def record(sender=None, reason=None, **_):
        if sender.name == "search.describe_job":
            countdowns.append(reason.when)

    task_retry.connect(record, weak=False)
    try:
        job = run_search(bob, django_capture_on_commit_callbacks)
    finally:
        task_retry.disconnect(record)
    job.refresh_from_db()
    assert job.status == "done" and len(server.requests) == 4
    assert countdowns[0] == 7  # Retry-After: 7 beats a backoff of 0.01 s
    assert 0.02 <= countdowns[1] <= 0.025  # no Retry-After: backoff (base 0.01 * 2**1, with jitter)
    assert countdowns[2] == 3


def test_a_retry_after_longer_than_we_hold_a_job_fails_it_at_once(
    settings, use_provider, bob, django_capture_on_commit_callbacks
):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    settings.VISION_RETRY_MAX_SECONDS = 60
    server.answer_always(Reply(status=429, retry_after=3600))
    job = run_search(bob, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.error_code, len(server.requests)) == ("failed", "provider_rate_limited", 1)
    assert_image_deleted(job)
