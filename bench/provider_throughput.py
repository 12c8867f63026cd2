"""One Celery worker's jobs per second against a provider that answers after 500 ms,
next to the floor (as many calls in flight as one process holds) against the same server.

    .venv/bin/python bench/provider_throughput.py [--jobs 2000] [--floor-calls 2000] [--delay 0.5]

Needs PostgreSQL and Redis on 127.0.0.1 (DATABASE_URL, REDIS_URL below; the database is created
if missing, Redis db 13 is flushed). The provider is a fake Gemini (tests/fakes/provider_server.py)
in its own process: a threaded HTTP server on loopback, one thread per connection.
"""

import argparse
import base64
import io
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CELERY = str(ROOT / ".venv" / "bin" / "celery")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sg_bench3b")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def start_provider(delay: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [PYTHON, "-m", "tests.fakes.provider_server", "--delay", str(delay)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    return proc, url


def small_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def floor(url: str, *, calls: int, threads: int) -> float:
    """calls/s of a plain thread pool sharing one httpx2 client, posting what our job posts."""
    import httpx2

    body = json.dumps(
        {
            "contents": [{"role": "user", "parts": [
                {"inlineData": {"data": base64.urlsafe_b64encode(small_jpeg()).decode(), "mime_type": "image/jpeg"}},
                {"text": "No context was given."},
            ]}],
            "systemInstruction": {"parts": [{"text": "Describe the object."}], "role": "user"},
        }
    ).encode()
    limits = httpx2.Limits(max_connections=threads * 2, max_keepalive_connections=threads * 2)
    with httpx2.Client(limits=limits, timeout=30) as client:
        def call(_):
            response = client.post(
                f"{url}/v1/models/gemini-2.5-flash:generateContent",
                content=body, headers={"content-type": "application/json", "x-goog-api-key": "bench"},
            )
            response.raise_for_status()
            return response.json()["candidates"][0]["content"]["parts"][0]["text"]

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(call, range(threads)))  # warm the connections
            started = time.perf_counter()
            results = list(pool.map(call, range(calls)))
            elapsed = time.perf_counter() - started
    assert all(results)
    return calls / elapsed


def worker_env(provider_url: str, object_root: str, conn_max_age: int, pool: int = 0, stage: str = "tasks") -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        VISION_PROVIDER="gemini",
        GEMINI_API_KEY="bench-key",
        GEMINI_BASE_URL=provider_url,
        DB_CONN_MAX_AGE=str(conn_max_age),
        DB_POOL_MAX_SIZE=str(pool),
        VISION_BATCH_STAGE="1" if stage == "batches" else "0",
        LOCAL_OBJECT_ROOT=object_root,
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
    )
    for name in ("SECRET_KEY", "BLIND_INDEX_KEY"):
        env.setdefault(name, secrets.token_urlsafe(32))
    if "FIELD_ENCRYPTION_KEY" not in env:
        from cryptography.fernet import Fernet

        env["FIELD_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    return env


def fresh_database(env: dict) -> None:
    """A new database each run (keys are generated per run; nothing older can skew the figures)."""
    name = DATABASE_URL.rsplit("/", 1)[1]
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)


def queue_jobs(n: int, *, face_blur: bool = True) -> tuple[list[str], float]:
    """Create n search jobs through the pipeline (prepare_job queued to Redis on each commit)."""
    import django

    django.setup()
    import redis

    from governance import consent
    from governance.models import Membership, Tenant
    from governance.tenancy.tenants import add_member, create_tenant
    from search import pipeline

    redis.Redis.from_url(REDIS_URL).flushdb()
    tenant = Tenant.objects.filter(slug="bench").first()
    if tenant is None:
        tenant, admin, _ = create_tenant(slug="bench", admin_email="admin@bench.example")
        add_member(tenant=tenant, email="member@bench.example")
        consent.accept(tenant=tenant, version=consent.current_terms().version, actor=admin.user)
    Tenant.objects.filter(pk=tenant.pk).update(face_blur=face_blur)
    tenant.refresh_from_db()
    user = Membership.objects.filter(tenant=tenant, role="member").first().user
    image = small_jpeg()
    started = time.perf_counter()
    ids = [str(pipeline.create_job(tenant=tenant, user=user, image_bytes=image, context="a gearbox").pk) for _ in range(n)]
    return ids, time.perf_counter() - started


def worker_command(stage: str, concurrency: int, n: int) -> list[str]:
    if stage == "batches":  # the batch provider stage (search.describe_batch)
        return [PYTHON, "manage.py", "describe_queued_jobs", "--threads", str(concurrency)]
    return [CELERY, "-A", "config", "worker", "-Q", "provider,cpu", "-P", "threads", "-c", str(concurrency),
            "-n", f"bench{n}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run_worker(env: dict, ids: list[str], *, concurrency: int, timeout: float, log, stage: str = "tasks",
               workers: int = 1) -> dict:
    from django.db import connection
    from django.db.models import Count, Max, Min

    from search.models import SearchJob

    processes = [
        subprocess.Popen(worker_command(stage, concurrency, n), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        for n in range(workers)
    ]
    launched = time.perf_counter()
    jobs = SearchJob.objects.filter(pk__in=ids)
    try:
        while time.perf_counter() - launched < timeout:
            left = jobs.exclude(status__in=SearchJob.FINISHED).count()
            if not left:
                break
            print(f"  {left} jobs left after {time.perf_counter() - launched:.0f} s", flush=True)
            time.sleep(2)
        wall = time.perf_counter() - launched
        cpus = [cpu_seconds(p.pid) for p in processes]
        cpu = sum(cpus)
    finally:
        for worker in processes:
            worker.send_signal(signal.SIGTERM)
        for worker in processes:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    span = jobs.aggregate(first=Min("started_at"), last=Max("finished_at"))
    rows = jobs.values("status", "error_code").annotate(n=Count("pk")).values_list("status", "error_code", "n")
    statuses = {f"{status}:{code}" if code else status: n for status, code, n in rows}
    connection.close()
    busy = (span["last"] - span["first"]).total_seconds() if span["first"] and span["last"] else float("nan")
    done = statuses.get("done", 0)
    log.flush()
    return {
        "statuses": statuses,
        "busy_seconds": round(busy, 2),
        "wall_seconds_incl_startup": round(wall, 2),
        "jobs_per_second": round(done / busy, 1),
        "jobs_per_second_per_process": round(done / busy / workers, 1),
        "worker_cpu_seconds": round(cpu, 2),
        "cpu_seconds_per_process": [round(c, 2) for c in cpus],
        "cpu_cores_busy": round(cpu / busy, 2),
        "worker_cpu_ms_per_job": round(cpu * 1000 / max(done, 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--floor-calls", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=64, help="floor thread pool size")
    parser.add_argument("--concurrency", type=int, default=128, help="worker threads (calls in flight) per process")
    parser.add_argument("--stage", choices=("tasks", "batches"), default="tasks",
                        help="tasks: one Celery task a job (-P threads); batches: manage.py describe_queued_jobs")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--face-blur", choices=("on", "off"), default="on",
                        help="the bench tenant's face_blur (on, the default, adds CenterFace detection per job)")
    parser.add_argument("--conn-max-age", type=int, default=0,
                        help="DB_CONN_MAX_AGE of the worker (persistent connections need concurrency < 100)")
    parser.add_argument("--pool", type=int, default=0,
                        help="DB_POOL_MAX_SIZE of the worker (a psycopg pool of that many connections; 0: none)")
    args = parser.parse_args()

    provider, url = start_provider(args.delay)
    try:
        floor_rate = floor(url, calls=args.floor_calls, threads=args.threads)
        print(f"floor: {args.threads} threads, shared httpx2 client: {floor_rate:.1f} calls/s "
              f"(ceiling {args.threads / args.delay:.0f})", flush=True)
        floor_wide = floor(url, calls=args.floor_calls, threads=args.concurrency)
        print(f"floor: {args.concurrency} threads: {floor_wide:.1f} calls/s "
              f"(ceiling {args.concurrency / args.delay:.0f})", flush=True)
        with tempfile.TemporaryDirectory() as objects:
            env = worker_env(url, objects, args.conn_max_age, args.pool, args.stage)
            os.environ.update({k: v for k, v in env.items() if k not in os.environ or k in (
                "DATABASE_URL", "REDIS_URL", "VISION_PROVIDER", "GEMINI_API_KEY", "GEMINI_BASE_URL",
                "DB_CONN_MAX_AGE", "LOCAL_OBJECT_ROOT", "LOG_LEVEL", "DJANGO_SETTINGS_MODULE", "VISION_BATCH_STAGE")})
            sys.path.insert(0, str(ROOT))
            fresh_database(env)
            ids, queue_seconds = queue_jobs(args.jobs, face_blur=args.face_blur == "on")
            print(f"queued {len(ids)} jobs in {queue_seconds:.1f} s (face blur {args.face_blur})", flush=True)
            log_path = Path(tempfile.gettempdir()) / "provider_throughput_worker.log"
            with open(log_path, "w") as log:
                result = run_worker(env, ids, concurrency=args.concurrency, timeout=args.timeout, log=log,
                                    stage=args.stage, workers=args.workers)
            print(f"worker log: {log_path}", flush=True)
        print(f"{args.workers} x {args.stage} worker, {args.concurrency} in flight each: {result}", flush=True)
        print(f"ratio worker/floor({args.threads} threads): {result['jobs_per_second'] / floor_rate:.2f}; "
              f"worker/floor({args.concurrency} threads): {result['jobs_per_second'] / floor_wide:.2f}")
    finally:
        provider.terminate()
        provider.wait(timeout=10)


if __name__ == "__main__":
    main()
