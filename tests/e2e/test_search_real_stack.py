"""The image-search slice on PostgreSQL + Redis + a real Celery worker process + an S3 endpoint."""

import io
import time

import pytest

from governance.models import StoredObject
from governance.tenancy.tenants import add_member, create_tenant
from search.models import SearchJob
from tests.conftest import Actor, make_jpeg

pytestmark = pytest.mark.e2e


def wait_until_finished(job_id, worker, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = SearchJob.objects.get(pk=job_id)
        if job.status in SearchJob.FINISHED:
            return job
        time.sleep(0.2)
    pytest.fail(f"job {job_id} still {job.status} after {timeout} s; worker log:\n{worker.output()[-3000:]}")


def post_image(actor, **extra):
    image = io.BytesIO(make_jpeg(colour=(200, 40, 40)))
    image.name = "x.jpg"
    response = actor.api.post("/api/v1/search-jobs/", {"image": image, **extra}, format="multipart")
    assert response.status_code == 202, response.content
    return response.json()["id"]


def bucket_keys(s3):
    """Every key but the audit logs' checkpoint copies (the sealer writes them; they hold no person)."""
    contents = s3.list_objects_v2(Bucket="sightguard-e2e").get("Contents", [])
    return [o["Key"] for o in contents if not o["Key"].startswith("audit/checkpoints/")]


def test_a_search_runs_on_the_real_stack_and_leaves_no_object(worker, moto_s3):
    tenant, _, _ = create_tenant(slug="e2e", admin_email="admin@e2e.example")
    member = Actor(*add_member(tenant=tenant, email="member@e2e.example"))

    # A job whose image is gone before the worker gets to it fails, and still leaves nothing behind.
    doomed_id = post_image(member)
    assert len(bucket_keys(moto_s3)) == 1
    head = moto_s3.head_object(Bucket="sightguard-e2e", Key=bucket_keys(moto_s3)[0])
    assert head["ServerSideEncryption"] == "AES256"
    moto_s3.delete_object(Bucket="sightguard-e2e", Key=bucket_keys(moto_s3)[0])

    worker.start()
    doomed = wait_until_finished(doomed_id, worker)
    assert (doomed.status, doomed.error_code) == ("failed", "image_expired")

    job_id = post_image(member, context="a red part")
    job = wait_until_finished(job_id, worker)
    assert job.status == "done", worker.output()[-3000:]
    assert "red" in job.description
    body = member.api.get(f"/api/v1/search-jobs/{job_id}/").json()
    assert body["status"] == "done" and body["description"] == job.description

    assert bucket_keys(moto_s3) == []
    assert not StoredObject.objects.filter(deleted_at__isnull=True).exists()
    assert "succeeded" in worker.output()
