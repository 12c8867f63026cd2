"""A real worker process killed (SIGKILL) in the middle of a retention run; the next run finishes it.

PostgreSQL only: the killed process and the test must share a database, and pytest's SQLite test
database lives in memory. (tests/governance/test_retention.py kills a run from a batch hook on
every database.) Uses its own database (the test database's name + _kill), created, migrated and dropped here.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]

SEED = """
import django; django.setup()
from datetime import timedelta
from django.utils import timezone
from governance.models import Tenant
from search.models import UsageEvent
acme = Tenant.objects.create(slug="acme", name="Acme")
old = timezone.now() - timedelta(days=500)
UsageEvent.objects.bulk_create(
    [UsageEvent(tenant=acme, created_at=old, provider="x", used_context=False, outcome="done") for _ in range(50)]
    + [UsageEvent(tenant=acme, created_at=timezone.now(), provider="x", used_context=False, outcome="done") for _ in range(5)]
)
"""

WORKER = """
import time, django; django.setup()
from governance.retention import enforce
def stall(sender, progress, ids, **kwargs):
    print("batch", len(ids), flush=True)
    time.sleep(120)  # killed here, after the first batch committed
enforce.batch_committed.connect(stall)
enforce.enforce(batch_size=10)
"""

RESUME = """
import json, django; django.setup()
from django.utils import timezone
from datetime import timedelta
from governance import audit
from governance.retention import enforce
from governance.models import RetentionRun
from search.models import UsageEvent
run = RetentionRun.objects.get()
before = {"finished": run.finished_at is not None, "left_after_kill": UsageEvent.objects.count()}
try:
    enforce.enforce()
    refused = None
except Exception as exc:
    refused = getattr(exc, "code", repr(exc))
RetentionRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() - timedelta(seconds=1))  # the lease runs out
report = enforce.enforce()
print(json.dumps({
    **before, "refused": refused, "same_run": report.run.pk == run.pk, "resumed": report.run.resumed,
    "status": report.run.status, "counts": report.counts, "left": UsageEvent.objects.count(),
    "old_left": UsageEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=400)).count(),
    "chain_ok": audit.verify_chain().ok,
}))
"""


def _python(code, env, **kwargs):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True, **kwargs)


@pytest.mark.django_db
def test_a_worker_killed_mid_run_is_resumed_by_the_next_run_and_nothing_due_remains():
    if connection.vendor != "postgresql":
        pytest.skip("needs a database shared with a second process (PostgreSQL); the hook-based test covers SQLite")
    import psycopg

    params = connection.settings_dict
    base = f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}"
    name = f"{params['NAME']}_kill"  # named after this run's test database: parallel runs never share it
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": f"{base}/{name}", "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONWARNINGS": "ignore"}
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, capture_output=True)
        _python(SEED, env)
        worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        try:
            assert worker.stdout.readline().split() == ["batch", "10"]
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
        import json

        result = json.loads(_python(RESUME, env, timeout=120).stdout.strip().splitlines()[-1])
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert result["finished"] is False and result["left_after_kill"] == 45  # the first batch of 10 went, then the kill
    assert result["refused"] == "retention_run_in_progress"  # its lease still held
    assert result["same_run"] and result["resumed"] == 1 and result["status"] == "done"
    assert result["old_left"] == 0 and result["left"] == 5
    assert list(result["counts"]["usage_events"].values()) == [{"deleted": 50}]
    assert result["chain_ok"]
