"""Deletes reach every version: versioned buckets, delete markers, unfinished uploads, Object Lock,
the bucket's rules and the sweeper's reconciliation of noncurrent versions (moto server, versioning on)."""

import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.utils import timezone

from governance.checks import bucket_versions_check
from governance.models import StoredObject
from governance.storage import bucket, objectstore, sweeper

pytestmark = pytest.mark.django_db
RETAINED = StoredObject.Purpose.RETAINED_IMAGE


@pytest.fixture
def versioned(s3_bucket):
    client().put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    return s3_bucket


@pytest.fixture
def locked_bucket(s3_server, settings):
    name = f"sg-lock-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(
        Bucket=name, ObjectLockEnabledForBucket=True)
    settings.S3_BUCKET, settings.S3_ENDPOINT_URL, settings.S3_REGION = name, s3_server, "us-east-1"
    objectstore._backend_for.cache_clear()
    yield name
    objectstore._backend_for.cache_clear()


def client():
    return objectstore.backend().client


def versions_of(bucket_name, key=""):
    listing = client().list_object_versions(Bucket=bucket_name, Prefix=key)
    return listing.get("Versions", []) + listing.get("DeleteMarkers", [])


def put(tenant, data=b"face pixels", purpose=RETAINED, subject_index=""):
    return objectstore.put(purpose=purpose, data=data, content_type="image/jpeg", lifetime=timedelta(days=1),
                           tenant=tenant, subject_index=subject_index)


def test_a_plain_delete_on_a_versioned_bucket_leaves_nothing_readable_by_version(versioned, acme):
    obj = put(acme, b"first")
    objectstore.replace(obj, data=b"blurred", content_type="image/jpeg")
    assert len(versions_of(versioned, obj.key)) == 1  # the unblurred bytes went with the overwrite
    first_version = versions_of(versioned, obj.key)[0]["VersionId"]
    assert objectstore.delete(obj, reason="test") == 1
    assert versions_of(versioned, obj.key) == []
    with pytest.raises(ClientError):
        client().get_object(Bucket=versioned, Key=obj.key, VersionId=first_version)


def test_delete_markers_and_every_old_version_go(versioned, acme):
    obj = put(acme)
    raw = client()
    raw.put_object(Bucket=versioned, Key=obj.key, Body=b"second")
    raw.delete_object(Bucket=versioned, Key=obj.key)  # a delete marker on top of two versions
    raw.put_object(Bucket=versioned, Key=obj.key, Body=b"third")
    assert len(versions_of(versioned, obj.key)) == 4
    other = put(acme, b"someone else")
    assert objectstore.backend().delete_many([obj.key]) == set()
    assert versions_of(versioned, obj.key) == []
    assert [v["Key"] for v in versions_of(versioned)] == [other.key]


def test_unfinished_multipart_uploads_of_a_deleted_key_are_aborted(versioned, acme):
    obj = put(acme)
    client().create_multipart_upload(Bucket=versioned, Key=obj.key)
    unrelated = client().create_multipart_upload(Bucket=versioned, Key="tmp/exports/1/other")
    objectstore.delete(obj, reason="test")
    uploads = client().list_multipart_uploads(Bucket=versioned).get("Uploads", [])
    assert [u["UploadId"] for u in uploads] == [unrelated["UploadId"]]


def test_a_locked_version_is_reported_never_counted_as_deleted(locked_bucket, acme):
    kept, free = put(acme), put(acme)
    version = versions_of(locked_bucket, kept.key)[0]["VersionId"]
    client().put_object_retention(Bucket=locked_bucket, Key=kept.key, VersionId=version, Retention={
        "Mode": "COMPLIANCE", "RetainUntilDate": datetime.now(UTC) + timedelta(days=1)})
    batches = list(objectstore.delete_matching(StoredObject.objects.filter(pk__in=[kept.pk, free.pk]), reason="erasure"))
    assert [b.keys for b in batches] == [[free.key]] and [b.locked for b in batches] == [[kept.key]]
    kept.refresh_from_db()
    assert kept.deleted_at is None and kept.deleted_reason == "object_lock"
    assert client().get_object(Bucket=locked_bucket, Key=kept.key, VersionId=version)["Body"].read() == b"face pixels"
    assert objectstore.delete(kept, reason="test") == 0 and kept.deleted_at is None


def test_configure_bucket_reports_versioning_and_object_lock_and_sets_the_version_rules(versioned, capsys):
    assert [w.id for w in bucket_versions_check()] == ["sightguard.W010", "sightguard.W010"]
    call_command("configure_bucket")
    out = capsys.readouterr().out
    assert "versioning: Enabled" in out and "object lock: off" in out
    found = bucket.state(client(), versioned)
    rule = next(r for r in found["lifecycle"] if r["ID"] == bucket.VERSIONS_RULE_ID)
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert found["problems"] == [] and bucket_versions_check() == []


def test_configure_bucket_says_when_object_lock_is_on(locked_bucket, capsys):
    call_command("configure_bucket")
    captured = capsys.readouterr()
    assert "object lock: on" in captured.out and "cannot be erased" in captured.err


def test_an_unversioned_bucket_needs_no_version_rules(s3_bucket):
    assert bucket_versions_check() == []


def test_the_sweeper_deletes_noncurrent_versions_and_unrecorded_keys_hidden_behind_a_delete_marker(
        versioned, acme, settings):
    live = put(acme)
    raw = client()
    raw.put_object(Bucket=versioned, Key=live.key, Body=b"overwritten by hand")  # live's first bytes now noncurrent
    raw.put_object(Bucket=versioned, Key="retained/images/1/hidden", Body=b"unrecorded")
    raw.delete_object(Bucket=versioned, Key="retained/images/1/hidden")  # invisible to a plain listing
    assert [k for k, _ in objectstore.backend().list_keys("retained/")] == [live.key]
    run = sweeper.sweep(now=timezone.now() + timedelta(seconds=settings.SWEEP_GRACE_SECONDS + 60))
    assert (run.orphans_deleted, run.noncurrent_deleted, run.missing_closed) == (1, 1, 0)
    remaining = versions_of(versioned)
    assert [(v["Key"], v["IsLatest"]) for v in remaining] == [(live.key, True)]
    assert sweeper.sweep(now=timezone.now() + timedelta(seconds=settings.SWEEP_GRACE_SECONDS + 60)).needed_work is False


def test_the_local_store_keeps_no_other_copy(acme, settings):
    obj = put(acme)
    objectstore.replace(obj, data=b"blurred", content_type="image/jpeg")
    files = [p for p in settings.LOCAL_OBJECT_ROOT.rglob("*") if p.is_file()]
    assert [str(p.relative_to(settings.LOCAL_OBJECT_ROOT)) for p in files] == [obj.key]
    objectstore.delete(obj, reason="test")
    assert [p for p in settings.LOCAL_OBJECT_ROOT.rglob("*") if p.is_file()] == []


def fill(bucket_name, prefix, count):
    """`count` keys under `prefix`, every other one with a second version: more than two listing pages."""
    from concurrent.futures import ThreadPoolExecutor

    raw = client()

    def write(i):
        raw.put_object(Bucket=bucket_name, Key=f"{prefix}{i:05d}", Body=b"old bytes")
        if i % 2:
            raw.put_object(Bucket=bucket_name, Key=f"{prefix}{i:05d}", Body=b"new bytes")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(write, range(count)))
    return count + count // 2


def every_version(bucket_name, prefix):
    pages = client().get_paginator("list_object_versions").paginate(Bucket=bucket_name, Prefix=prefix)
    return [v["Key"] for page in pages for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]


def test_a_folder_of_many_listing_pages_is_purged_to_the_last_version(versioned, acme):
    written = fill(versioned, "retained/images/9/", 1500)  # 2,250 versions: three listing pages
    fill(versioned, "retained/images/90/", 10)  # a neighbour sharing the folder name's digits stays
    assert objectstore.backend().purge_prefix("retained/images/9/") == (written, set())
    assert every_version(versioned, "retained/images/9/") == []
    assert len(every_version(versioned, "retained/images/90/")) == 15


def test_the_sweeper_reconciles_past_the_first_listing_page(versioned, acme, settings):
    live = put(acme)
    written = fill(versioned, "retained/images/9/", 1500)  # unrecorded: all of them go
    run = sweeper.sweep(now=timezone.now() + timedelta(seconds=settings.SWEEP_GRACE_SECONDS + 60))
    assert run.orphans_deleted == 1500 and written == 2250
    assert every_version(versioned, "retained/") == [live.key]
