"""Export of one data subject with 100,000 rows: rows per second and peak memory.

    .venv/bin/python bench/dsr_export.py [--repeat 3] [--jobs 25000] [--results-per-job 3]

PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sg_bench5x; dropped and
created afresh) and a moto S3 server on loopback. The subject owns --jobs search jobs (two encrypted
fields each) and --results-per-job results per job: 25,000 + 75,000 = 100,000 rows (plus the
account's 3). Each run is a fresh subprocess calling compliance.export.build(), exactly what the
worker runs: count, walk the data map, values_list(...).iterator(chunk_size=2000), orjson chunks
written into the zip member stream on a temporary file, upload with server-side encryption.

- floor: psycopg only, a server-side cursor over the same columns (decrypting the two fields with
  the same Fernet keys), orjson, the same zip on a temporary file, no upload.

Reports rows/s, seconds, archive size and peak RSS (VmHWM) next to an idle Django process.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dsr_common as common

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sg_bench5x"


def child_idle(request_id) -> dict:
    common.django_setup()
    from config.celery import freeze_loaded_objects

    freeze_loaded_objects()  # what a worker does when it is ready (config/celery.py)
    from compliance import export  # noqa: F401
    from compliance.models import DataSubjectRequest
    from governance.storage import objectstore

    objectstore.backend().client  # noqa: B018
    DataSubjectRequest.objects.filter(pk=request_id).exists()
    return {"peak_rss_mb": common.peak_rss_mb()}


def child_export(request_id) -> dict:
    common.django_setup()
    from config.celery import freeze_loaded_objects

    freeze_loaded_objects()  # what a worker does when it is ready (config/celery.py)
    from compliance import export
    from compliance.models import DataSubjectRequest
    from governance.storage import objectstore

    objectstore.backend().client  # noqa: B018
    request = DataSubjectRequest.objects.select_related("tenant").get(pk=request_id)
    start = time.perf_counter()
    archive = export.build(request=request)
    seconds = time.perf_counter() - start
    rows = DataSubjectRequest.objects.get(pk=request_id).progress_done
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds, "bytes": archive.size,
            "peak_rss_mb": common.peak_rss_mb()}


def child_floor(user_id, keys) -> dict:
    import orjson
    import psycopg
    from cryptography.fernet import Fernet, MultiFernet

    fernet = MultiFernet([Fernet(k) for k in keys.split(",")])
    start = time.perf_counter()
    rows = 0
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn, tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            queries = {
                "search_jobs": ("SELECT id, status, created_at, context, description FROM search_searchjob "
                                "WHERE created_by_id = %s ORDER BY id", ("id", "status", "created_at", "context", "description"), (3, 4)),
                "search_results": ("SELECT r.job_id, r.rank, r.score, r.document_id, d.title FROM search_searchresult r "
                                   "JOIN search_searchjob j ON j.id = r.job_id JOIN search_document d ON d.id = r.document_id "
                                   "WHERE j.created_by_id = %s ORDER BY r.id", ("job", "rank", "score", "document_id", "document_title"), ()),
            }
            for name, (sql, names, encrypted) in queries.items():
                with archive.open(f"data/{name}.json", "w", force_zip64=True) as out, conn.cursor(name=f"c_{name}") as cur:
                    cur.itersize = 2000
                    cur.execute(sql, (user_id,))
                    out.write(b"[")
                    first = True
                    while True:
                        batch = cur.fetchmany(2000)
                        if not batch:
                            break
                        dicts = []
                        for row in batch:
                            row = list(row)
                            for i in encrypted:
                                row[i] = fernet.decrypt(row[i].encode()).decode()
                            dicts.append(dict(zip(names, row)))
                        out.write((b"" if first else b",") + orjson.dumps(dicts, default=str)[1:-1])
                        first = False
                        rows += len(batch)
                    out.write(b"]")
            archive.writestr("manifest.json", b"{}")
        size = tmp.tell()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds, "bytes": size, "peak_rss_mb": common.peak_rss_mb()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=25_000)
    parser.add_argument("--results-per-job", type=int, default=3)
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    if args.child:
        fn = {"export": child_export, "idle": child_idle, "floor": child_floor}[args.child]
        print(json.dumps(fn(*args.rest)))
        return

    server = common.start_s3()
    try:
        common.fresh_database(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
        from django.conf import settings

        from compliance.models import DataSubjectRequest
        from compliance.requests import file_request
        from governance.tenancy.tenants import create_tenant

        tenant, _, _ = create_tenant(slug="acme", name="Acme", admin_email="admin@acme.example")
        common.seed_subject(tenant=tenant, email="other@example.com", jobs=2000, results_per_job=3, objects=0)
        info = common.seed_subject(tenant=tenant, email="subject@example.com", jobs=args.jobs,
                                   results_per_job=args.results_per_job, objects=0)
        request = file_request(tenant=tenant, kind="access", regime="gdpr", email="subject@example.com", source="api", verified=True)
        DataSubjectRequest.objects.filter(pk=request.pk).update(status="in_progress")
        keys = ",".join(settings.FIELD_ENCRYPTION_KEY)
        results = {"floor": [], "export": []}
        idle = common.run_child(__file__, "idle", str(request.pk))
        print("idle", json.dumps(idle), flush=True)
        for i in range(args.repeat):
            for kind in (("floor", "export") if i % 2 == 0 else ("export", "floor")):
                out = (common.run_child(__file__, "floor", info["user_id"], keys) if kind == "floor"
                       else common.run_child(__file__, "export", str(request.pk)))
                results[kind].append(out)
                print(kind, json.dumps(out), flush=True)
        summary = {
            kind: {
                "rows": runs[0]["rows"],
                "rows_per_s_median": statistics.median(r["rows_per_s"] for r in runs),
                "seconds_median": statistics.median(r["seconds"] for r in runs),
                "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
                "archive_bytes": runs[0]["bytes"],
            }
            for kind, runs in results.items()
        }
        summary["idle_django_peak_rss_mb"] = idle["peak_rss_mb"]
        print(json.dumps(summary, indent=2))
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
