"""The compose stack's process layout, without Docker: the one-shot migrate-and-configure job on a
fresh database and bucket, then web under gunicorn, the batch provider stage, the provider and CPU
workers and beat, each a real process configured as docker-compose.yml configures it (DEBUG off,
keys from new_keys(), VISION_BATCH_STAGE on). /health/ turns green; a search with faces blurred
(cpu worker, then provider worker), one without (the batch stage) and an erasure go through the stack (the erasure approved in the
admin by a tenant admin signed in with a recovery code); /metrics counts them; no process logs the
planted personal data."""

import io
import json
import os
import re
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from PIL import Image

from config.devkeys import new_keys
from tests.e2e.conftest import BIN, ROOT, free_port, require, wait_for_port

pytestmark = pytest.mark.e2e
CONTEXT = "planted-context-marker-7331"
FILE_NAME = "planted-file-name-7331.jpg"
BOB = "planted.bob.7331@example.com"


def run(env, *args, timeout=300) -> str:
    result = subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def wait_for(what, probe, timeout=120.0, every=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if value := probe():
                return value
        except Exception as exc:  # a process still loading on a busy machine answers late
            if type(exc).__name__ not in ("ReadTimeout", "ConnectError", "RemoteProtocolError"):
                raise
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


class Browser:
    """An HTTP client that keeps the (Secure) session and CSRF cookies itself and presents itself as
    arriving over HTTPS through a proxy (X-Forwarded-Proto), as it would in production."""

    def __init__(self, base):
        import httpx2 as httpx  # the HTTP client the provider SDKs use (requirements/base.in)

        self.base, self.cookies = base, {}
        self.http = httpx.Client(base_url=base, timeout=90, follow_redirects=False)
        self.origin = base.replace("http://", "https://")

    def request(self, method, path, **kwargs):
        headers = {"X-Forwarded-Proto": "https", "Origin": self.origin, **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, path, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response

    def csrf(self, path) -> str:
        page = self.request("GET", path).text
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


@pytest.fixture
def layout_db():
    require(connection.vendor == "postgresql", "DATABASE_URL is not PostgreSQL")
    require(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set")
    s = connection.settings_dict
    name = f"{s['NAME']}_layout"
    admin_url = f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_stack_starts_answers_and_counts(layout_db, tmp_path):
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    # The stack's shared counters in a Redis database of their own: the test processes beside it
    # count their own requests into the cache of REDIS_URL.
    base, db = os.environ["REDIS_URL"].rsplit("/", 1)
    metrics_redis = f"{base}/{(int(db or 0) + 1) % 16}"
    redis.Redis.from_url(metrics_redis).flushdb()
    s3_port, web_port = free_port(), free_port()
    processes, logs = [], {}

    def start(name, argv):
        logs[name] = tmp_path / f"{name}.log"
        processes.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=logs[name].open("wb"), stderr=subprocess.STDOUT))
        return processes[-1]

    keys = {k: v for k, v in new_keys().items() if not k.startswith(("POSTGRES", "MINIO"))}
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "DATABASE_URL": layout_db, "REDIS_URL": os.environ["REDIS_URL"], "CACHE_URL": metrics_redis,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}", "S3_BUCKET": "sightguard-layout",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-central-1",
        "VISION_PROVIDER": "offline", "VISION_BATCH_STAGE": "1", "SIGHTGUARD_VAR_DIR": str(tmp_path / "var"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        **keys,
    }
    try:
        start("s3", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)])
        wait_for_port(s3_port)

        # the one-shot job, as compose's `setup` service runs it
        run(env, "migrate", "--no-input")
        run(env, "configure_bucket", "--create")
        alice_key = run(env, "create_tenant", "acme", "--admin-email", "alice@acme.example",
                        "--admin-password", "alice-password-1").strip().splitlines()[-1]
        run(env, "add_member", "acme", "--email", BOB)
        recovery_code = run(env, "addstatictoken", "alice@acme.example").strip()

        start("web", [str(BIN / "gunicorn"), "config.wsgi", "--config", "python:config.gunicorn",
                      "--bind", f"127.0.0.1:{web_port}", "--workers", "2"])
        start("describe-stage", [str(BIN / "python"), "manage.py", "describe_queued_jobs", "--threads", "8",
                                 "--heartbeat", str(tmp_path / "describe-stage.alive")])
        start("worker-provider", [str(BIN / "celery"), "-A", "config", "worker", "-Q", "provider", "-P", "threads",
                                  "-c", "8", "-n", "provider@%h", "--without-mingle", "--without-gossip"])
        start("worker-cpu", [str(BIN / "celery"), "-A", "config", "worker", "-Q", "cpu,default", "-c", "1",
                             "-n", "cpu@%h", "--without-mingle", "--without-gossip"])
        start("beat", [str(BIN / "celery"), "-A", "config", "beat",
                       "--pidfile", "", "-s", str(tmp_path / "beat-schedule")])
        wait_for_port(web_port, timeout=60)
        web = Browser(f"http://127.0.0.1:{web_port}")

        last = {}

        def healthy():
            response = web.request("GET", "/health/", headers={"Accept": "application/json"})
            last["body"] = response.text[:2000]
            return response.status_code == 200 and response.json()
        try:
            checks = wait_for("/health/ to be green", healthy, timeout=300)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; it said: {last.get('body')}") from None
        assert {name.split("(")[0] for name in checks} >= {"Database", "Cache", "Broker", "ObjectStore", "EncryptionKey", "PeriodicTasks"}

        # a search, by API key
        jpeg = io.BytesIO()
        Image.new("RGB", (320, 240), (40, 90, 200)).save(jpeg, "JPEG")
        response = web.request("POST", "/api/v1/search-jobs/", headers={"Authorization": f"Bearer {alice_key}"},
                               files={"image": (FILE_NAME, jpeg.getvalue(), "image/jpeg")}, data={"context": CONTEXT})
        assert response.status_code == 202, response.text
        job_url = f"/api/v1/search-jobs/{response.json()['id']}/"
        job = wait_for("the search to finish", lambda: (
            j := web.request("GET", job_url, headers={"Authorization": f"Bearer {alice_key}"}).json())["status"] in ("done", "failed") and j)
        assert job["status"] == "done" and job["description"]

        # a search of a tenant not blurring faces: the batch stage takes it, Celery never sees it
        with psycopg.connect(layout_db.replace("postgres://", "postgresql://")) as db:
            db.execute("UPDATE governance_tenant SET face_blur = false WHERE slug = 'acme'")
        response = web.request("POST", "/api/v1/search-jobs/", headers={"Authorization": f"Bearer {alice_key}"},
                               files={"image": (FILE_NAME, jpeg.getvalue(), "image/jpeg")}, data={"context": CONTEXT})
        assert response.status_code == 202, response.text
        unblurred_url = f"/api/v1/search-jobs/{response.json()['id']}/"
        unblurred = wait_for("the batch stage's search to finish", lambda: (
            j := web.request("GET", unblurred_url, headers={"Authorization": f"Bearer {alice_key}"}).json())["status"]
            in ("done", "failed") and j)
        assert unblurred["status"] == "done" and unblurred["description"]
        assert (tmp_path / "describe-stage.alive").exists()

        # an erasure: filed and verified by the subject, approved in the admin with a second factor
        filed = web.request("POST", "/api/v1/privacy-requests/",
                            json={"tenant": "acme", "kind": "erasure", "regime": "gdpr", "email": BOB})
        assert filed.status_code == 202, filed.text
        reference = filed.json()["reference"]
        token = wait_for("the verification e-mail", lambda: next(iter(re.findall(
            r"/privacy/verify/([^/\s]+)/", "".join(p.read_text() for p in (tmp_path / "mail").glob("*")))), None)
            if (tmp_path / "mail").exists() else None)
        assert web.request("POST", f"/api/v1/privacy-requests/verify/{token}/").status_code == 200
        admin = Browser(web.base)
        signed_in = admin.request("POST", "/admin/login/?next=/admin/", data={
            "csrfmiddlewaretoken": admin.csrf("/admin/login/"), "username": "alice@acme.example",
            "password": "alice-password-1", "otp_token": recovery_code, "next": "/admin/"})
        assert signed_in.status_code == 302, signed_in.text
        with psycopg.connect(layout_db.replace("postgres://", "postgresql://")) as db:
            (request_pk,) = db.execute(
                "SELECT id FROM compliance_datasubjectrequest WHERE reference = %s", [reference]).fetchone()
        page = f"/admin/compliance/datasubjectrequest/{request_pk}/change/"
        approved = admin.request("POST", f"/admin/compliance/datasubjectrequest/{request_pk}/decide/", data={
            "csrfmiddlewaretoken": admin.csrf(page), "decision": "approve", "confirmed": "yes"})  # the preview's button
        assert approved.status_code == 302, approved.text
        status = wait_for("the erasure to finish", lambda: (
            s := web.request("GET", f"/api/v1/privacy-requests/{reference}/").json()["status"]) == "fulfilled" and s)
        assert status == "fulfilled"

        # /metrics reflects it all: every process counted into the same Redis hash
        def scrape() -> dict:
            from prometheus_client.parser import text_string_to_metric_families

            text = web.request("GET", "/metrics", headers={"Authorization": f"Bearer {keys['METRICS_TOKEN']}"}).text
            return {(s.name, tuple(sorted(s.labels.items()))): s.value
                    for f in text_string_to_metric_families(text) for s in f.samples}

        assert web.request("GET", "/metrics").status_code == 404
        samples = wait_for("beat's first sweep to be counted", lambda: (m := scrape()) and m.get(
            ("sightguard_task_duration_seconds_count", (("state", "success"), ("task", "governance.sweep_objects")))) and m,
            timeout=180, every=2)
        assert samples[("sightguard_http_request_duration_seconds_count",
                        (("method", "POST"), ("route", "search-job-list"), ("status", "202")))] == 2
        assert samples[("sightguard_provider_call_duration_seconds_count", (("outcome", "ok"), ("provider", "offline")))] == 2
        assert samples[("sightguard_task_duration_seconds_count", (("state", "success"), ("task", "compliance.run_erasure")))] >= 1
        assert samples[("sightguard_search_jobs", (("status", "done"),))] == 2
        # the blurred job went through Celery's provider worker, the other never did
        assert samples[("sightguard_task_duration_seconds_count", (("state", "success"), ("task", "search.describe_job")))] == 1
        assert ("sightguard_queue_depth", (("queue", "provider"),)) in samples

        assert all(p.poll() is None for p in processes), "a process of the stack died"
    finally:
        for p in reversed(processes):
            p.terminate()
        for p in processes:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()

    # one JSON event per line from web, with request ids; nothing personal from any process
    web_events = [json.loads(line) for line in logs["web"].read_text().splitlines() if line.startswith("{")]
    assert any(e.get("route") == "search-job-list" and e.get("request_id") and e.get("tenant_id") for e in web_events)
    everything = "".join(Path(p).read_text(errors="replace") for name, p in logs.items() if name != "s3")
    for marker in ("planted", "7331", job["description"], unblurred["description"]):
        assert marker not in everything, marker
