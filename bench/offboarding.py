"""Offboarding a tenant: governance.tenancy.offboarding next to a hand-written floor.

    .venv/bin/python bench/offboarding.py [--rows 100000 300000 1000000] [--objects 10000]

PostgreSQL at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sg_bench_offboard;
dropped and created afresh for each measurement) and a moto S3 server on loopback with versioning
on. Each measurement seeds a leaving tenant with one member who ran rows/4 search jobs with 3
results each (rows in all) and --objects retained images in the bucket, plus a staying tenant
(1,000 jobs, 100 objects) that must be untouched. In a fresh subprocess each:

- floor: psycopg + boto3 only: DELETE results, jobs, objects' records, API keys, memberships and
  the account by tenant, one transaction; ListObjectVersions of the tenant's folder and
  DeleteObjects with every VersionId, 1000 at a time;
- offboard: governance.tenancy.offboarding.offboard(), what the command runs (every tenant-owned
  table, every folder, the anonymised records kept, the folders listed again, the certificate).

Reports seconds, rows/s, object versions/s and peak RSS (VmHWM) per size.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dsr_common as common

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sg_bench_offboard"


def child_floor(tenant_id) -> dict:
    import boto3
    import psycopg

    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name="us-east-1")
    start = time.perf_counter()
    rows = 0
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn, conn.transaction():
        users = [u for (u,) in conn.execute("SELECT user_id FROM governance_membership WHERE tenant_id = %s", (tenant_id,))]
        for table in ("search_searchresult", "search_searchjob", "search_document", "search_usageevent",
                      "governance_storedobject"):
            rows += conn.execute(f"DELETE FROM {table} WHERE tenant_id = %s", (tenant_id,)).rowcount
        for table in ("governance_apikey", "governance_membership"):
            rows += conn.execute(f"DELETE FROM {table} WHERE user_id = ANY(%s)", (users,)).rowcount
        rows += conn.execute("DELETE FROM governance_user WHERE id = ANY(%s)", (users,)).rowcount
    versions, previous = 0, []
    # Each page is deleted once the next has been listed: a listing resumed from a deleted version
    # ends early (moto), which left all but the first 1,000 versions behind.
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=common.BUCKET, Prefix=f"retained/images/{tenant_id}/"):
        if previous:
            s3.delete_objects(Bucket=common.BUCKET, Delete={"Objects": previous, "Quiet": True})
            versions += len(previous)
        previous = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
    if previous:
        s3.delete_objects(Bucket=common.BUCKET, Delete={"Objects": previous, "Quiet": True})
        versions += len(previous)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": rows, "versions": versions, "peak_rss_mb": common.peak_rss_mb()}


def child_offboard(slug) -> dict:
    common.django_setup()
    from governance.tenancy import offboarding

    start = time.perf_counter()
    certificate = offboarding.offboard(slug=slug, actor="system:bench")
    seconds = time.perf_counter() - start
    assert all(certificate["bucket_folders_verified_empty"].values()), certificate
    return {"seconds": seconds, "rows": sum(certificate["rows_deleted"].values()),
            "versions": sum(certificate["object_versions_deleted"].values()), "peak_rss_mb": common.peak_rss_mb()}


def measure(kind, rows, objects, url) -> dict:
    from django.apps import apps

    if apps.ready:
        from django.db import connections

        connections.close_all()  # the database is dropped and created again
    common.fresh_database(url)
    from governance.tenancy.tenants import create_tenant
    from search.models import SearchJob

    leaving, _, _ = create_tenant(slug="leaving", name="Leaving", admin_email="admin@leaving.example")
    staying, _, _ = create_tenant(slug="staying", name="Staying", admin_email="admin@staying.example")
    common.seed_subject(tenant=leaving, email="member@leaving.example", jobs=rows // 4, results_per_job=3, objects=objects)
    stays = common.seed_subject(tenant=staying, email="member@staying.example", jobs=1000, results_per_job=3, objects=100)
    out = (common.run_child(__file__, "floor", leaving.pk) if kind == "floor"
           else common.run_child(__file__, "offboard", "leaving"))
    assert not SearchJob.objects.filter(tenant=leaving).exists()
    assert out["versions"] == objects, out  # every version of the leaving tenant's objects, no more
    assert SearchJob.objects.filter(created_by_id=stays["user_id"]).count() == 1000
    out.update(rows_per_s=round(out["rows"] / out["seconds"]), versions_per_s=round(out["versions"] / out["seconds"]))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("rest", nargs="*")
    args = parser.parse_args()
    if args.child == "floor":
        print(json.dumps(child_floor(int(args.rest[0]))))
        return
    if args.child == "offboard":
        print(json.dumps(child_offboard(args.rest[0])))
        return
    server = common.start_s3()
    import boto3

    boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name="us-east-1").put_bucket_versioning(
        Bucket=common.BUCKET, VersioningConfiguration={"Status": "Enabled"})
    try:
        url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
        for rows in args.rows:
            for kind in ("floor", "offboard"):
                print(rows, kind, json.dumps(measure(kind, rows, args.objects, url)), flush=True)
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
