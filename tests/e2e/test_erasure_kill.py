"""A real Celery worker process is killed (SIGKILL) in the middle of an erasure; after a restart the
resume task requeues it and it finishes with nothing left and nothing done twice.

PostgreSQL only (the worker and the test share the database); skipped with the reason elsewhere.
"""

import os
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance import review, tasks
from compliance.models import DataSubjectRequest, ErasureSuppression
from compliance.requests import file_request
from governance.crypto import blind_index
from governance.models import AuditEvent, StoredObject, User
from governance.storage import objectstore
from search.models import SearchJob, SearchResult
from tests.compliance.conftest import searches

pytestmark = pytest.mark.e2e
BOB = "bob@acme.example"


def wait_for(predicate, timeout=90.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_erasure_is_resumed_and_finishes_exactly_once(worker, alice, bob):
    jobs = searches(bob, jobs=40, results_per_job=3)
    for job in jobs[:10]:
        image = objectstore.put(purpose=StoredObject.Purpose.RETAINED_IMAGE, data=b"img", content_type="image/jpeg",
                                lifetime=timedelta(days=3), tenant=bob.tenant, subject_index=blind_index(BOB))
        SearchJob.objects.filter(pk=job.pk).update(retained_image=image)

    worker.start(queues="default", pool="solo", concurrency=1, include="tests.e2e.slow_erasure_steps")
    request = file_request(tenant=bob.tenant, kind="erasure", regime="gdpr", email=BOB, source="api", verified=True)
    review.approve(request=request, actor=alice.user)  # committed: the task goes to Redis

    def half_way():
        r = DataSubjectRequest.objects.get(pk=request.pk)
        return r if r.progress_done >= 2 else None

    half = wait_for(half_way, what="the erasure to get half-way")
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait(10)
    worker.log.close()
    half = DataSubjectRequest.objects.get(pk=request.pk)
    assert half.status == "in_progress" and half.progress_done < half.progress_total, worker.output()

    # Its lease runs out (10 minutes; here at once), a fresh worker starts, beat's resume task requeues it.
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1), reviewed_at=timezone.now() - timedelta(minutes=2)
    )
    worker.start(queues="default", pool="solo", concurrency=1)
    tasks.resume_stalled_requests.delay()
    done = wait_for(
        lambda: DataSubjectRequest.objects.filter(pk=request.pk, status="fulfilled").first(), what="the erasure to finish"
    )

    assert not SearchJob.objects.filter(tenant=bob.tenant).exists()
    assert not SearchResult.objects.filter(tenant=bob.tenant).exists()
    assert not User.objects.filter(email_index=blind_index(BOB)).exists()
    assert not StoredObject.objects.filter(tenant=bob.tenant, deleted_at__isnull=True).exists()
    listing = worker_bucket_listing()
    assert [o["Key"].split("/")[:2] for o in listing["Contents"]] == [["ledger", "erasures"]]  # one ledger entry
    assert done.proof["deleted_or_anonymised"]["search.searchjob"] == {"deleted": 40}
    assert done.proof["deleted_or_anonymised"]["search.searchresult"] == {"deleted": 120}
    assert done.proof["bucket_objects_deleted"] == {"retained/images/": 10}
    assert AuditEvent.objects.filter(action="privacy_request.erased").count() == 1
    assert AuditEvent.objects.filter(action="privacy_request.erasure_started").count() == 1
    assert ErasureSuppression.objects.count() == 1


def worker_bucket_listing():
    store = objectstore.backend()
    return store.client.list_objects_v2(Bucket=store.bucket)
