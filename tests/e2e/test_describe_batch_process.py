"""The batch provider stage as deployed: a real `manage.py describe_queued_jobs` process on the test
database, the S3 server and the fake Gemini, stopped with SIGTERM."""

import os
import signal
import subprocess
import sys
import time

import pytest
import redis
import yaml

from governance.models import Tenant
from governance.tenancy.tenants import add_member, create_tenant
from search.models import SearchJob, UsageEvent
from tests.conftest import Actor
from tests.fakes.fixtures import allow_provider, provider_server  # noqa: F401
from tests.fakes.provider_server import DEFAULT_TEXT, Reply

from .conftest import ROOT
from .test_provider_real_worker import search
from .test_search_real_stack import bucket_keys, wait_until_finished

pytestmark = pytest.mark.e2e


def health_check(heartbeat) -> int:
    """The exit status of docker-compose.yml's health check of describe-stage, on this heartbeat file."""
    test = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["describe-stage"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3].replace("/tmp/describe-stage.alive", str(heartbeat))
    return subprocess.run([sys.executable, "-c", code]).returncode


@pytest.fixture
def stage_process(worker, provider_server, settings, tmp_path):
    settings.VISION_PROVIDER, settings.VISION_BATCH_STAGE = "gemini", True
    env = {
        **worker.env,
        "VISION_BATCH_STAGE": "1",
        "VISION_PROVIDER": "gemini",
        "GEMINI_API_KEY": "fake-gemini-key",
        "GEMINI_BASE_URL": provider_server.url,
        "VISION_TIMEOUT_SECONDS": "2",
        "VISION_RETRY_BASE_SECONDS": "30",
        "VISION_RETRY_MAX_SECONDS": "30",
    }
    log = open(tmp_path / "stage.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "describe_queued_jobs", "--threads", "8", "--poll", "0.05",
         "--heartbeat", str(tmp_path / "alive")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    process.output = lambda: (tmp_path / "stage.log").read_text(errors="replace")
    process.heartbeat = tmp_path / "alive"
    yield process
    if process.poll() is None:
        process.kill()
    log.close()


def test_a_stage_process_ends_jobs_and_gives_back_what_waits_when_stopped(stage_process, provider_server, moto_s3):
    tenant, _, _ = create_tenant(slug="e2e-batch", admin_email="admin@e2e-batch.example")
    Tenant.objects.filter(pk=tenant.pk).update(face_blur=False)
    member = Actor(*add_member(tenant=tenant, email="member@e2e-batch.example"))
    allow_provider(tenant, "gemini")

    ids = [search(member) for _ in range(5)]
    jobs = [wait_until_finished(job_id, stage_process, timeout=60) for job_id in ids]
    assert [(j.status, j.description, j.attempts) for j in jobs] == [("done", DEFAULT_TEXT, 1)] * 5
    assert UsageEvent.objects.count() == 5 and bucket_keys(moto_s3) == []
    assert redis.Redis.from_url(os.environ["REDIS_URL"]).llen("provider") == 0  # nothing was queued on Celery for these jobs
    assert health_check(stage_process.heartbeat) == 0  # the container's check, on this process's heartbeat
    os.utime(stage_process.heartbeat, (time.time() - 120, time.time() - 120))
    assert health_check(stage_process.heartbeat) == 1  # a loop silent for two minutes is unhealthy

    provider_server.script(Reply(status=503))  # then it waits 30 s to try again: stop it meanwhile
    waiting = search(member)
    deadline = time.monotonic() + 30
    while len(provider_server.requests) < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    stage_process.send_signal(signal.SIGTERM)
    assert stage_process.wait(timeout=20) == 0, stage_process.output()[-3000:]
    job = SearchJob.objects.get(pk=waiting)
    assert (job.status, job.attempts) == ("queued", 1), stage_process.output()[-3000:]
    assert len(bucket_keys(moto_s3)) == 1  # its image waits with it
