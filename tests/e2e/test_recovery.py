"""Nothing gets stuck: after any single crash or outage every search job ends, once.

Real processes on PostgreSQL and a Redis of the test's own: a Celery worker (thread pool or prefork),
beat (running the reconciler every second), moto's S3 server, the fake provider server. Each test
injects one fault while jobs are in flight, then asserts that every job is done, exactly once (one
end, one usage event, one provider call per counted attempt) and that no image is left anywhere.
"""

import io
import json
import os
import time

import pytest
from django.db import connection, connections

from governance.models import AuditEvent, StoredObject, Tenant
from governance.tenancy.tenants import add_member, create_tenant
from search.models import SearchJob, UsageEvent
from tests.conftest import Actor, make_jpeg
from tests.fakes.fixtures import allow_provider, provider_server  # noqa: F401
from tests.fakes.provider_server import Reply

from . import faults
from .test_search_real_stack import bucket_keys

pytestmark = pytest.mark.e2e
JOBS = 6
IN_FLIGHT = 8  # the thread pool's concurrency: at most this many attempts cut off at once


@pytest.fixture
def stack(worker, moto_s3, provider_server, settings, tmp_path):
    """The worker fixture's environment on a broker of our own, with fast recovery settings; the
    test process publishes to that broker too. Yields (worker, beat, broker)."""
    from config import celery_app

    broker = faults.Broker(tmp_path / "redis").start()
    previous = celery_app.conf.broker_url
    _use_broker(celery_app, broker.url)
    settings.VISION_PROVIDER = "gemini"
    # The jobs are created here: with the workers' lease, as every process of a deployment shares it.
    settings.SEARCH_LEASE_SECONDS = int(faults.FAST_RECOVERY["SEARCH_LEASE_SECONDS"])
    worker.env.update(
        faults.FAST_RECOVERY,
        REDIS_URL=broker.url,
        CACHE_URL=broker.url.replace("/0", "/1"),
        VISION_PROVIDER="gemini",
        GEMINI_API_KEY="fake-gemini-key",
        GEMINI_BASE_URL=provider_server.url,
        VISION_TIMEOUT_SECONDS="10",
    )
    beat = faults.Beat(worker.env, tmp_path / "beat.log")
    provider_server.answer_always(Reply(text="A red part.", delay=1.0))
    yield worker, beat, broker
    beat.stop()
    worker.stop()
    _use_broker(celery_app, previous)
    broker.stop()


def _use_broker(app, url):
    from kombu import pools

    app.conf.broker_url = url
    pools.reset()  # kombu's connection and producer pools are global, keyed by connection
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def member(db):
    tenant, _, _ = create_tenant(slug="faults", admin_email="admin@faults.example")
    allow_provider(tenant, "gemini")
    return Actor(*add_member(tenant=tenant, email="member@faults.example"))


def post_jobs(actor, n=JOBS) -> list[str]:
    ids = []
    for i in range(n):
        image = io.BytesIO(make_jpeg(size=(1600, 1200), colour=(200, 40 + i, 40)))
        image.name = "x.jpg"
        response = actor.api.post("/api/v1/search-jobs/", {"image": image}, format="multipart")
        assert response.status_code == 202, response.content
        ids.append(response.json()["id"])
    return ids


def wait_for(predicate, *, timeout: float, what: str, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    tail = "\n".join(p.output()[-3000:] for p in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def in_stage(stage: str):
    """A job in the middle of `stage`: blurring (claimed, no provider attempt yet) or describing."""
    running = SearchJob.objects.filter(status="running")
    return (running.filter(attempts=0) if stage == "prepare" else running.filter(attempts__gte=1)).exists()


def assert_every_job_ended_once(ids, s3, provider_server, worker, *, interrupted: int, back_at: float):
    """`back_at`: when the failed part came back (time.monotonic()); the recovery time is measured
    from there to every job ended, and written to SIGHTGUARD_RECOVERY_LOG (bench/faults.py) if set."""

    def final():
        connection.close_if_unusable_or_obsolete()
        return not SearchJob.objects.filter(pk__in=ids).exclude(status__in=SearchJob.FINISHED).exists()

    wait_for(final, timeout=120, what="every job to end", logs=(worker,))
    recovered = time.monotonic() - back_at
    jobs = list(SearchJob.objects.filter(pk__in=ids))
    assert {(j.status, j.error_code) for j in jobs} == {("done", "")}, [(j.status, j.error_code) for j in jobs]
    assert UsageEvent.objects.count() == len(ids)  # one end each
    assert AuditEvent.objects.filter(action="search_job.done").count() == len(ids)
    # Every provider call is counted; an attempt cut off by the fault may not have reached the provider.
    calls, attempts = len(provider_server.requests), sum(j.attempts for j in jobs)
    assert calls <= attempts <= calls + interrupted, (calls, attempts)
    wait_for(lambda: bucket_keys(s3) == [], timeout=30, what="the bucket to be empty")
    assert not StoredObject.objects.filter(deleted_at__isnull=True).exclude(purpose=StoredObject.Purpose.AUDIT_CHECKPOINT).exists()
    if log := os.environ.get("SIGHTGUARD_RECOVERY_LOG"):
        with open(log, "a") as out:
            out.write(json.dumps({"test": os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0],
                                  "recovery_seconds": round(recovered, 2)}) + "\n")


@pytest.mark.parametrize("stage", ["prepare", "describe"])
def test_a_thread_pool_worker_killed_mid_stage_loses_no_job(stack, member, moto_s3, provider_server, stage):
    worker, beat, _ = stack
    worker.start(pool="threads", concurrency=IN_FLIGHT)
    beat.start()
    # For the provider stage, no faces to blur: jobs go straight to it (face detection in 8 threads
    # on a loaded machine would otherwise hold them in the CPU stage for half a minute).
    Tenant.objects.filter(pk=member.tenant.pk).update(face_blur=stage == "prepare")
    ids = post_jobs(member)
    wait_for(lambda: in_stage(stage), timeout=120, what=f"a job in {stage}", logs=(worker,))
    faults.kill(worker.process.pid)  # its messages wait in Redis's unacked set for the visibility timeout
    worker.process.wait(10)
    worker.log.close()
    worker.start(pool="threads", concurrency=IN_FLIGHT)
    back_at = time.monotonic()
    assert_every_job_ended_once(ids, moto_s3, provider_server, worker, interrupted=IN_FLIGHT, back_at=back_at)
    assert SearchJob.objects.filter(pk__in=ids, recoveries__gte=1).exists()  # the reconciler requeued


@pytest.mark.parametrize("stage", ["prepare", "describe"])
def test_a_prefork_child_killed_mid_stage_is_redelivered_and_resumes(stack, member, moto_s3, provider_server, stage):
    worker, beat, _ = stack
    worker.start(pool="prefork", concurrency=1)
    beat.start()
    ids = post_jobs(member, n=4)
    wait_for(lambda: in_stage(stage), timeout=60, what=f"a job in {stage}", logs=(worker,))
    child = wait_for(lambda: faults.children(worker.process.pid), timeout=10, what="the pool child")
    faults.kill(child[0])  # as the OOM killer would; the worker forks a new child at once
    back_at = time.monotonic()
    assert_every_job_ended_once(ids, moto_s3, provider_server, worker, interrupted=IN_FLIGHT, back_at=back_at)
    assert "WorkerLostError" in worker.output()


def test_queued_jobs_lost_with_a_restarted_broker_are_requeued(stack, member, moto_s3, provider_server):
    worker, beat, broker = stack
    ids = post_jobs(member)  # queued in Redis; no worker yet
    broker.restart()  # without persistence: every queued message is gone
    back_at = time.monotonic()
    worker.start(pool="threads", concurrency=IN_FLIGHT)
    beat.start()
    assert_every_job_ended_once(ids, moto_s3, provider_server, worker, interrupted=IN_FLIGHT, back_at=back_at)
    assert SearchJob.objects.filter(pk__in=ids, recoveries__gte=1).count() == len(ids)


def test_jobs_in_flight_survive_the_database_refusing_connections(stack, member, moto_s3, provider_server):
    worker, beat, _ = stack
    worker.start(pool="threads", concurrency=IN_FLIGHT)
    beat.start()
    ids = post_jobs(member)
    wait_for(lambda: in_stage("describe"), timeout=60, what="a job at the provider", logs=(worker,))
    name = connection.settings_dict["NAME"]
    outage = faults.DatabaseOutage(name=name, admin_dsn=faults.admin_dsn())
    connection.close()
    outage.begin()
    try:
        time.sleep(6)
    finally:
        outage.end()
        connections.close_all()  # no handle of this process keeps a backend the outage ended
    back_at = time.monotonic()
    assert_every_job_ended_once(ids, moto_s3, provider_server, worker, interrupted=IN_FLIGHT, back_at=back_at)
    assert "OperationalError" in worker.output()


def test_jobs_in_flight_survive_the_object_store_being_unreachable(stack, member, moto_s3, provider_server, settings):
    worker, beat, _ = stack
    proxy = faults.SwitchableProxy(int(settings.S3_ENDPOINT_URL.rsplit(":", 1)[1])).on()
    worker.env["S3_ENDPOINT_URL"] = proxy.url
    try:
        worker.start(pool="threads", concurrency=IN_FLIGHT)
        beat.start()
        ids = post_jobs(member)
        wait_for(lambda: SearchJob.objects.filter(status="running").exists(), timeout=60, what="a running job")
        proxy.off()
        time.sleep(4)
        proxy.on()
        back_at = time.monotonic()
        assert_every_job_ended_once(ids, moto_s3, provider_server, worker, interrupted=IN_FLIGHT, back_at=back_at)
    finally:
        proxy.off()
