"""One job's CPU and SQL in-process (what one worker thread spends per job, minus Celery).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sightguard_prof .venv/bin/python bench/profile_job.py [--jobs 200] [--profile]

Runs `prepare` then `describe` for each job in one thread, in a throw-away test database, against
the fake Gemini (tests/fakes/provider_server.py, in a thread, answering at once) with
DB_CONN_MAX_AGE=0 as in the throughput benchmark. Prints process CPU ms per job, SQL queries per
job, and with --profile the top of a cProfile by cumulative time.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
os.environ["VISION_PROVIDER"] = "gemini"
os.environ.setdefault("GEMINI_API_KEY", "bench-key")
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # create_job must not run the job inline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--face-blur", choices=("on", "off"), default="off")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--stage", choices=("tasks", "batches"), default="tasks",
                        help="tasks: the per-job pipeline functions; batches: search.describe_batch over all jobs")
    parser.add_argument("--threads", type=int, default=32, help="provider threads of the batch stage")
    args = parser.parse_args()

    from tests.fakes.provider_server import ProviderServer

    server = ProviderServer(record=False).start()
    os.environ["GEMINI_BASE_URL"] = server.url

    import django

    django.setup()
    from bench.testdb import run_in_test_database

    run_in_test_database(lambda: run(args))
    server.stop()


def run(args) -> None:
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.provider_throughput import small_jpeg
    from governance import consent
    from governance.models import Membership
    from governance.tenancy.tenants import add_member, create_tenant
    from search import pipeline
    from search.models import SearchJob

    tenant, admin, _ = create_tenant(slug="bench", admin_email="admin@bench.example")
    add_member(tenant=tenant, email="member@bench.example")
    consent.accept(tenant=tenant, version=consent.current_terms().version, actor=admin.user)
    type(tenant).objects.filter(pk=tenant.pk).update(face_blur=args.face_blur == "on")
    tenant.refresh_from_db()
    user = Membership.objects.filter(tenant=tenant, role="member").first().user
    image = small_jpeg()
    if args.stage == "batches":
        type(tenant).objects.filter(pk=tenant.pk).update(face_blur=False)
    with mock.patch.object(pipeline, "_queue"):
        ids = [pipeline.create_job(tenant=tenant, user=user, image_bytes=image, context="a gearbox").pk
               for _ in range(args.jobs + 5)]

    def one(job_id):  # what the Celery tasks do (search.pipeline._queue): one hop without face blurring
        if args.face_blur == "off":
            pipeline.describe(job_id=job_id, claim=True)
        elif pipeline.prepare(job_id=job_id):
            pipeline.describe(job_id=job_id)

    if args.stage == "batches":
        return run_batches(args, ids)
    for job_id in ids[:5]:  # warm up: imports, the face network, the genai client
        one(job_id)
    ids = ids[5:]
    from governance import audit
    from governance import consent as consent_module
    from governance.storage import objectstore
    from search import matching
    from search.providers.gemini import GeminiProvider

    spent = {}
    for owner, names in ((consent_module, ("withdrawn",)), (matching, ("store_results",)), (audit, ("record",)),
                         (objectstore, ("delete",)), (GeminiProvider, ("describe",)), (pipeline, ("finish",))):
        timed(owner, names, spent)
    with CaptureQueriesContext(connection) as queries:
        one(ids[0])
    print(f"queries for one job: {len(queries)}")
    if args.profile:
        for q in queries.captured_queries:
            print("   ", q["sql"][:150])
    profiler = cProfile.Profile() if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for job_id in ids[1:]:
        one(job_id)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = len(ids) - 1
    done = SearchJob.objects.filter(pk__in=ids, status="done").count()
    print(f"{n} jobs ({done + 1} done): process CPU {cpu * 1000 / n:.1f} ms/job, wall {wall * 1000 / n:.1f} ms/job "
          f"(includes the fake server's thread)")
    print("  of which, CPU in (ms/job): " + ", ".join(f"{name} {seconds * 1000 / n:.2f}" for name, seconds in spent.items())
          + " (finish includes store_results, one audit record and delete; the other audit record is create_job's,"
          " outside the measured loop)")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
        by_package = {}
        for (filename, _, _), (_, _, tottime, _, _) in pstats.Stats(profiler).stats.items():
            if "site-packages/" in filename:
                package = filename.split("site-packages/", 1)[1].split("/", 1)[0]
            elif str(ROOT) in filename:
                package = "sightguard:" + filename.split(str(ROOT) + "/", 1)[1].split("/", 1)[0]
            else:
                package = "stdlib/builtins"
            by_package[package] = by_package.get(package, 0) + tottime
        print("own time by package, ms per job (profiled, so inflated):")
        for package, seconds in sorted(by_package.items(), key=lambda item: -item[1])[:14]:
            print(f"  {package:32} {seconds * 1000 / n:6.2f}")


def run_batches(args, ids) -> None:
    """The batch stage over every job at once (all queued before it starts, as in the throughput bench)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from search import describe_batch
    from search.describe_batch import DescribeStage
    from search.models import SearchJob

    SearchJob.objects.filter(pk__in=ids[5:]).update(status="cancelled")  # the warm-up takes only the first 5
    DescribeStage(threads=args.threads).run(until_idle=True)
    SearchJob.objects.filter(pk__in=ids[5:]).update(status="queued")
    ids = ids[5:]
    spent = timed(describe_batch, ("claim_batch", "count_attempts", "end_batch", "record_ends"))
    timed(describe_batch.consent, ("withdrawn",), spent)
    profiler = cProfile.Profile() if args.profile else None
    with CaptureQueriesContext(connection) as queries:
        cpu, wall, loop = time.process_time(), time.perf_counter(), time.thread_time()
        if profiler:
            profiler.enable()
        DescribeStage(threads=args.threads).run(until_idle=True)
        if profiler:
            profiler.disable()
        cpu, wall, loop = time.process_time() - cpu, time.perf_counter() - wall, time.thread_time() - loop
    n = len(ids)
    done = SearchJob.objects.filter(pk__in=ids, status="done").count()
    print(f"{n} jobs ({done} done) in batches, {args.threads} threads: process CPU {cpu * 1000 / n:.1f} ms/job, "
          f"wall {wall * 1000 / n:.1f} ms/job, {len(queries) / n:.1f} queries/job; the loop's thread (claims, "
          f"consent, ends: everything but the calls) {loop * 1000 / n:.1f} ms/job")
    print("  of which, CPU of the loop's thread in (ms/job): " + ", ".join(
        f"{name} {seconds * 1000 / n:.2f}" for name, seconds in spent.items()) + " (end_batch includes record_ends)")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


def timed(module, names, spent: dict | None = None) -> dict:
    """Wrap module functions to add up the calling thread's CPU time spent in each (this process only)."""
    spent = {} if spent is None else spent
    for name in names:
        original = getattr(module, name)
        spent[name] = 0.0

        def wrapper(*args, _original=original, _name=name, **kwargs):
            started = time.thread_time()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] += time.thread_time() - started

        setattr(module, name, wrapper)
    return spent


if __name__ == "__main__":
    main()
