"""Provider retries in a real Celery worker process: Retry-After is waited out, give-ups are recorded."""

import io

import pytest

from governance.tenancy.tenants import add_member, create_tenant
from tests.conftest import Actor, make_jpeg
from tests.fakes.fixtures import allow_provider, provider_server  # noqa: F401
from tests.fakes.provider_server import Reply

from .test_search_real_stack import bucket_keys, wait_until_finished

pytestmark = pytest.mark.e2e


@pytest.fixture
def gemini_worker(worker, provider_server, settings):
    settings.VISION_PROVIDER = "gemini"
    worker.env.update(
        VISION_PROVIDER="gemini",
        GEMINI_API_KEY="fake-gemini-key",
        GEMINI_BASE_URL=provider_server.url,
        VISION_TIMEOUT_SECONDS="2",
        VISION_RETRY_BASE_SECONDS="0.05",
        VISION_RETRY_MAX_SECONDS="10",
        VISION_MAX_RETRIES="2",
    )
    return worker


def search(actor):
    image = io.BytesIO(make_jpeg())
    image.name = "x.jpg"
    response = actor.api.post("/api/v1/search-jobs/", {"image": image, "context": "a gearbox"}, format="multipart")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def test_a_real_worker_waits_out_retry_after_then_gives_up_with_a_reason(gemini_worker, provider_server, moto_s3):
    tenant, _, _ = create_tenant(slug="e2e-gemini", admin_email="admin@e2e-gemini.example")
    member = Actor(*add_member(tenant=tenant, email="member@e2e-gemini.example"))
    allow_provider(tenant, "gemini")
    provider_server.script(Reply(status=429, retry_after=2), Reply(text="A steel gearbox."))
    gemini_worker.start()

    job = wait_until_finished(search(member), gemini_worker)
    assert (job.status, job.description, job.attempts) == ("done", "A steel gearbox.", 2), gemini_worker.output()[-3000:]
    first, second = provider_server.requests
    assert second.at - first.at >= 2.0  # the countdown honoured Retry-After (backoff alone: 0.05 s)

    provider_server.answer_always(Reply(status=503))
    failed = wait_until_finished(search(member), gemini_worker)
    assert (failed.status, failed.error_code, failed.attempts) == ("failed", "provider_unavailable", 3)
    assert len(provider_server.requests) == 2 + 3
    assert bucket_keys(moto_s3) == []
