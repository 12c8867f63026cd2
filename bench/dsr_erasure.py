"""Erasure of one data subject: compliance.erasure next to hand-written SQL (+ batched S3 deletes).

    .venv/bin/python bench/dsr_erasure.py [--repeat 3] [--jobs 10000] [--objects 1000]

PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sg_bench5; dropped
and created afresh) and a moto S3 server on loopback. Each measurement gets a freshly seeded
subject: a member of the tenant owning --jobs search jobs, 3 results each, --objects retained images
in the bucket (plus the tenant's 10,000 usage events and a second member's 1,000 jobs that must stay).
In a fresh subprocess each, after a warm-up erasure of a tiny subject (1 job, 1 object) in the same
process, as a worker that has served earlier tasks:

- floor: psycopg + boto3 only, one transaction: SELECT the subject's object keys, delete_objects in
  batches of 1000, close the object records, DELETE results, jobs, API keys, membership, account;
- erasure: compliance.erasure.run() on an approved request, exactly what the worker runs (data map
  walk, holds checked, steps committed with their counts, suppression, proof, audit events).

With --versioned the bucket has versioning on: the floor then deletes version-aware (for each
key ListObjectVersions, then DeleteObjects with every VersionId, and aborts unfinished uploads of
the tenant's folder), and the erasure also verifies its proof by listing versions again.

Reports seconds, the ratio erasure/floor (median of paired runs) and peak RSS (VmHWM).
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dsr_common as common

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sg_bench5"


def child_floor(tenant_id, user_id, subject_index, warm_user_id, warm_subject_index) -> dict:
    import boto3
    import psycopg

    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name="us-east-1")
    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url) as conn:
        floor_delete(conn, s3, tenant_id, warm_user_id, warm_subject_index)  # warm-up, like a worker's earlier tasks
        start = time.perf_counter()
        rows, keys = floor_delete(conn, s3, tenant_id, user_id, subject_index)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": rows, "objects": len(keys), "peak_rss_mb": common.peak_rss_mb()}


def floor_delete(conn, s3, tenant_id, user_id, subject_index):
    if True:
        with conn.transaction():
            keys = [k for (k,) in conn.execute(
                "SELECT key FROM governance_storedobject WHERE tenant_id = %s AND subject_index = %s AND deleted_at IS NULL",
                (tenant_id, subject_index))]
            targets = [{"Key": k} for k in keys]
            if os.environ.get("BENCH_VERSIONED"):
                folder = f"retained/images/{tenant_id}/"
                for upload in s3.list_multipart_uploads(Bucket=common.BUCKET, Prefix=folder).get("Uploads", []):
                    s3.abort_multipart_upload(Bucket=common.BUCKET, Key=upload["Key"], UploadId=upload["UploadId"])
                targets = []
                for k in keys:
                    listing = s3.list_object_versions(Bucket=common.BUCKET, Prefix=k)
                    targets += [{"Key": v["Key"], "VersionId": v["VersionId"]}
                                for v in listing.get("Versions", []) + listing.get("DeleteMarkers", []) if v["Key"] == k]
            for i in range(0, len(targets), 1000):
                s3.delete_objects(Bucket=common.BUCKET, Delete={"Objects": targets[i:i + 1000], "Quiet": True})
            conn.execute("UPDATE governance_storedobject SET deleted_at = now(), deleted_reason = 'erasure', subject_index = '' "
                         "WHERE tenant_id = %s AND subject_index = %s AND deleted_at IS NULL", (tenant_id, subject_index))
            rows = conn.execute("DELETE FROM search_searchresult WHERE job_id IN (SELECT id FROM search_searchjob "
                                "WHERE tenant_id = %s AND created_by_id = %s)", (tenant_id, user_id)).rowcount
            rows += conn.execute("DELETE FROM search_searchjob WHERE tenant_id = %s AND created_by_id = %s",
                                 (tenant_id, user_id)).rowcount
            for table in ("governance_apikey", "governance_membership"):
                rows += conn.execute(f"DELETE FROM {table} WHERE user_id = %s", (user_id,)).rowcount
            rows += conn.execute("DELETE FROM governance_user WHERE id = %s", (user_id,)).rowcount
    return rows, keys


def child_erasure(request_id, warm_request_id) -> dict:
    common.django_setup()
    from compliance import erasure
    from compliance.models import DataSubjectRequest
    from config.celery import freeze_loaded_objects

    freeze_loaded_objects()  # what a worker does when it is ready (config/celery.py)

    # Warm-up on a tiny subject, like a worker's earlier tasks: imports, the URLconf (the completion
    # e-mail links the status page: ~0.3 s once per process), botocore's first delete_objects, ORM caches.
    assert erasure.run(request_id=warm_request_id)
    from django.db import connection, reset_queries

    reset_queries()
    profile = None
    if os.environ.get("BENCH_PROFILE"):  # cProfile of the measured run, to stderr
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    start = time.perf_counter()
    assert erasure.run(request_id=request_id)
    seconds = time.perf_counter() - start
    if profile:
        import pstats

        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(20)
        for query in sorted(connection.queries, key=lambda q: -float(q["time"]))[:10]:
            print(query["time"], query["sql"][:150], file=sys.stderr)
    db_seconds = sum(float(q["time"]) for q in connection.queries)
    proof = DataSubjectRequest.objects.get(pk=request_id).proof
    rows = sum(sum(v.values()) for v in proof["deleted_or_anonymised"].values())
    return {"seconds": seconds, "rows": rows, "objects": sum(proof["bucket_objects_deleted"].values()),
            "statements": len(connection.queries), "db_seconds": round(db_seconds, 4), "peak_rss_mb": common.peak_rss_mb()}


def seed(i, args) -> dict:
    from compliance.models import DataSubjectRequest
    from compliance.requests import file_request
    from governance.models import Tenant

    tenant = Tenant.objects.get(slug="acme")
    out = {}
    for prefix, jobs, objects in (("warm_", 1, 1), ("", args.jobs, args.objects)):
        email = f"{prefix}subject{i}@example.com"
        info = common.seed_subject(tenant=tenant, email=email, jobs=jobs, results_per_job=3, objects=objects)
        request = file_request(tenant=tenant, kind="erasure", regime="gdpr", email=email, source="api", verified=True)
        DataSubjectRequest.objects.filter(pk=request.pk).update(status="in_progress")
        out.update({f"{prefix}{k}": v for k, v in {**info, "request_id": str(request.pk)}.items()})
    return out


def leftovers(info) -> dict:
    from governance.models import StoredObject, User
    from search.models import SearchJob, SearchResult

    return {
        "jobs": SearchJob.objects.filter(created_by_id=info["user_id"]).count(),
        "results": SearchResult.objects.filter(job__created_by_id=info["user_id"]).count(),
        "user": User.objects.filter(pk=info["user_id"]).count(),
        "objects": StoredObject.objects.filter(subject_index=info["subject_index"], deleted_at__isnull=True).count(),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--objects", type=int, default=1_000)
    parser.add_argument("--versioned", action="store_true", help="versioning on; version-aware floor")
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    if args.child == "floor":
        print(json.dumps(child_floor(int(args.rest[0]), int(args.rest[1]), args.rest[2], int(args.rest[3]), args.rest[4])))
        return
    if args.child == "erasure":
        print(json.dumps(child_erasure(args.rest[0], args.rest[1])))
        return

    server = common.start_s3()
    if args.versioned:
        import boto3

        os.environ["BENCH_VERSIONED"] = "1"  # the floor child reads it
        boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name="us-east-1").put_bucket_versioning(
            Bucket=common.BUCKET, VersioningConfiguration={"Status": "Enabled"})
    try:
        common.fresh_database(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
        from governance.models import StoredObject
        from governance.tenancy.tenants import create_tenant
        from search.models import SearchJob, UsageEvent

        tenant, _, _ = create_tenant(slug="acme", name="Acme", admin_email="admin@acme.example")
        noise = common.seed_subject(tenant=tenant, email="stays@example.com", jobs=1000, results_per_job=3, objects=100,
                                    usage_events=10_000)
        results = {"floor": [], "erasure": []}
        for i in range(args.repeat):
            for kind in (("floor", "erasure") if i % 2 == 0 else ("erasure", "floor")):
                info = seed(f"{i}{kind}", args)
                if kind == "floor":
                    out = common.run_child(__file__, "floor", info["tenant_id"], info["user_id"], info["subject_index"],
                                           info["warm_user_id"], info["warm_subject_index"])
                else:
                    out = common.run_child(__file__, "erasure", info["request_id"], info["warm_request_id"])
                left = leftovers(info)
                assert not any(left.values()), (kind, left)
                out["left"] = left
                results[kind].append(out)
                print(kind, json.dumps(out), flush=True)
        assert SearchJob.objects.filter(created_by_id=noise["user_id"]).count() == 1000
        assert StoredObject.objects.filter(subject_index=noise["subject_index"], deleted_at__isnull=True).count() == 100
        assert UsageEvent.objects.count() == 10_000
        ratios = [e["seconds"] / f["seconds"] for e, f in zip(results["erasure"], results["floor"])]
        summary = {
            "floor_seconds": statistics.median(r["seconds"] for r in results["floor"]),
            "erasure_seconds": statistics.median(r["seconds"] for r in results["erasure"]),
            "ratio_median": statistics.median(ratios),
            "ratios": ratios,
            "rows_floor": results["floor"][0]["rows"],
            "rows_erasure": results["erasure"][0]["rows"],
            "objects": results["erasure"][0]["objects"],
            "peak_rss_floor_mb": max(r["peak_rss_mb"] for r in results["floor"]),
            "peak_rss_erasure_mb": max(r["peak_rss_mb"] for r in results["erasure"]),
        }
        print(json.dumps(summary, indent=2))
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
