"""Shared set-up of the data-subject request benchmarks (bench/dsr_erasure.py, bench/dsr_export.py):
a PostgreSQL database, a moto S3 server on loopback, a seeded subject, child processes."""

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUCKET = "sg-bench5"


def peak_rss_mb() -> float:
    """Peak RSS since exec (VmHWM), see bench/retention_sweep.py for why not ru_maxrss."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import warnings

    warnings.filterwarnings("ignore")
    import django

    django.setup()


def start_s3() -> subprocess.Popen:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    os.environ.update({"S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "bench",
                       "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"})
    import boto3

    boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name="us-east-1").create_bucket(Bucket=BUCKET)
    return server


def fresh_database(url: str) -> None:
    import psycopg

    os.environ["DATABASE_URL"] = url
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_subject(*, tenant, email: str, jobs: int, results_per_job: int, objects: int, usage_events: int = 0) -> dict:
    """One member of `tenant` who ran `jobs` searches with results and owns `objects` retained images."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from governance.models import StoredObject
    from governance.storage import objectstore
    from governance.tenancy.tenants import add_member
    from search.models import Document, SearchJob

    membership, _ = add_member(tenant=tenant, email=email)
    user = membership.user
    document = Document.objects.create(tenant=tenant, title="A document title", text="text")
    now = timezone.now()
    SearchJob.objects.bulk_create(
        [SearchJob(tenant=tenant, created_by=user, context=f"context typed {i}", description=f"a described image {i}",
                   has_context=True, provider="offline", status="done", created_at=now, finished_at=now)
         for i in range(jobs)],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO search_searchresult (tenant_id, job_id, document_id, rank, score, created_at) "
            "SELECT %s, j.id, %s, g, 0.5, now() FROM search_searchjob j CROSS JOIN generate_series(0, %s) g "
            "WHERE j.created_by_id = %s",
            [tenant.pk, document.pk, results_per_job - 1, user.pk],
        )
        if usage_events:
            cursor.execute(
                "INSERT INTO search_usageevent (tenant_id, created_at, provider, used_context, latency_ms, outcome) "
                "SELECT %s, now(), 'offline', true, 100, 'done' FROM generate_series(1, %s)",
                [tenant.pk, usage_events],
            )
    store = objectstore.backend()
    records = [
        StoredObject(tenant=tenant, key=f"retained/images/{tenant.pk}/{user.pk}-{i:05d}", purpose="retained_image",
                     content_type="image/jpeg", size=3, subject_index=user.email_index, deadline=now + timedelta(days=30))
        for i in range(objects)
    ]
    StoredObject.objects.bulk_create(records, batch_size=1000)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda r: store.put(r.key, b"img", "image/jpeg"), records))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"user_id": user.pk, "subject_index": user.email_index, "tenant_id": tenant.pk}


def run_child(script: str, kind: str, *args) -> dict:
    out = subprocess.run([sys.executable, script, f"--child={kind}", *map(str, args)],
                         capture_output=True, text=True, env=os.environ)
    if out.returncode:
        sys.exit(f"{kind} failed ({out.returncode}):\n{out.stderr[-4000:]}")
    if os.environ.get("BENCH_PROFILE"):
        print("\n".join(line for line in out.stderr.splitlines() if "urllib3" not in line), file=sys.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])
