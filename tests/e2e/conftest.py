"""The real stack for end-to-end tests: PostgreSQL, Redis, a Celery worker process, an S3 server.

Skipped with the reason where those services are not configured, except under SIGHTGUARD_E2E=1
(.ci/run), where a missing service is a failure.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def require(condition: bool, reason: str):
    if condition:
        return
    if os.environ.get("SIGHTGUARD_E2E") == "1":
        pytest.fail(f"end-to-end service missing: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


@pytest.fixture
def real_stack(transactional_db):
    require(connection.vendor == "postgresql", "DATABASE_URL is not PostgreSQL")
    require(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set")
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


@pytest.fixture
def moto_s3(settings, monkeypatch):
    """A real S3-compatible HTTP server on loopback (moto_server), with one bucket."""
    import boto3

    from governance.storage import objectstore

    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        endpoint = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        settings.S3_BUCKET, settings.S3_ENDPOINT_URL = "sightguard-e2e", endpoint
        objectstore._backend_for.cache_clear()
        client = boto3.client("s3", endpoint_url=endpoint, region_name=settings.S3_REGION)
        client.create_bucket(Bucket="sightguard-e2e", CreateBucketConfiguration={"LocationConstraint": settings.S3_REGION})
        yield client
    finally:
        server.terminate()
        server.wait(10)


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    def __init__(self, env: dict, log_path: Path):
        self.env, self.log_path, self.process = env, log_path, None

    def start(self, *, queues="cpu,provider,default", pool="threads", concurrency=4, include: str = ""):
        """include: extra modules the worker imports at start (test receivers of our signals)."""
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(BIN / "celery"), "-A", "config", "worker", "-Q", queues, "-P", pool, "-c", str(concurrency),
             "--without-mingle", "--without-gossip", "-l", "info", *(["--include", include] if include else [])],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process:
            self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def worker(real_stack, moto_s3, settings, tmp_path):
    """A real Celery worker process on Redis, the test database and the S3 server (start it yourself)."""
    from config import celery_app

    celery_app.conf.task_always_eager = False
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": ",".join(django_settings.FIELD_ENCRYPTION_KEY),
        "BLIND_INDEX_KEY": django_settings.BLIND_INDEX_KEY,
        "AUDIT_SIGNING_KEY": django_settings.AUDIT_SIGNING_KEY,
        "S3_BUCKET": settings.S3_BUCKET,
        "S3_ENDPOINT_URL": settings.S3_ENDPOINT_URL,
        "SIGHTGUARD_VAR_DIR": str(tmp_path / "worker-var"),
        "VISION_PROVIDER": settings.VISION_PROVIDER,
    }
    w = Worker(env, tmp_path / "worker.log")
    yield w
    w.stop()
    celery_app.conf.task_always_eager = True
