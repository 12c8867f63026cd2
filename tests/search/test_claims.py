"""Claims that know their own delivery, and the reconciler that requeues lost ones: every job ends,
once (one end, one usage event, its image deleted), whatever delivery was lost or repeated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import AuditEvent, StoredObject
from search import pipeline
from search.models import SearchJob, UsageEvent
from tests.search.test_search_jobs import upload

pytestmark = pytest.mark.django_db


def queued_job(actor) -> SearchJob:
    """A committed upload whose message never reached a worker (on_commit callbacks not run)."""
    assert upload(actor).status_code == 202
    return SearchJob.objects.get()


def lease_ran_out(job):
    SearchJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))


def ended_once(job) -> SearchJob:
    job = SearchJob.objects.get(pk=job.pk)
    assert job.status in SearchJob.FINISHED
    assert UsageEvent.objects.count() == 1
    assert AuditEvent.objects.filter(action=f"search_job.{job.status}").count() == 1
    assert not StoredObject.objects.filter(pk=job.image_id, deleted_at__isnull=True).exists()
    return job


def test_a_redelivered_message_resumes_its_own_claim_and_no_other_delivery_takes_it(bob):
    job = queued_job(bob)
    assert pipeline.prepare(job_id=job.pk, delivery="first") is True
    # The worker died after claiming; Redis hands the same message (same task id) to another worker.
    assert pipeline.prepare(job_id=job.pk, delivery="first") is True
    assert pipeline.prepare(job_id=job.pk, delivery="a-duplicate") is False
    assert SearchJob.objects.values_list("status", "claim_token").get() == ("running", "first")


def test_a_describe_message_superseded_by_the_reconciler_does_nothing(bob):
    job = queued_job(bob)
    assert pipeline.prepare(job_id=job.pk, delivery="prepare-1")
    assert pipeline.hand_over(job_id=job.pk, delivery="prepare-1", to="describe-1")
    lease_ran_out(job)  # the describe message was lost (its worker died before taking it)

    counts = pipeline.reconcile()  # requeues as a new delivery, which runs here (tasks are eager)
    assert counts["requeued"] == 1
    job = ended_once(job)
    assert (job.status, job.attempts, job.recoveries) == ("done", 1, 1)

    late = pipeline.describe(job_id=job.pk, delivery="describe-1")  # the old message, delivered at last
    assert (late.status, late.attempts) == ("done", 1)
    ended_once(job)


def test_a_queued_job_whose_message_was_lost_is_requeued_and_ends(bob):
    job = queued_job(bob)
    assert pipeline.reconcile()["requeued"] == 0  # within its lease: its message may still come
    lease_ran_out(job)
    assert pipeline.reconcile()["requeued"] == 1
    assert ended_once(job).status == "done"
    assert pipeline.reconcile() == {"requeued": 0, "stalled": 0, "images_deleted": 0}


def test_a_job_that_keeps_losing_its_worker_ends_failed_after_its_recoveries(bob, settings):
    job = queued_job(bob)
    pipeline.claim(job_id=job.pk, delivery="dies-every-time")
    SearchJob.objects.filter(pk=job.pk).update(recoveries=settings.SEARCH_MAX_RECOVERIES)
    lease_ran_out(job)
    assert pipeline.reconcile()["stalled"] == 1
    job = ended_once(job)
    assert (job.status, job.error_code, job.attempts) == ("failed", "stalled", 0)


def test_an_ended_job_whose_image_outlived_it_has_it_deleted(bob):
    job = queued_job(bob)
    # Its worker recorded the end and died before deleting the image.
    SearchJob.objects.filter(pk=job.pk).update(status="failed", error_code="image_expired", finished_at=timezone.now())
    assert pipeline.reconcile()["images_deleted"] == 1
    assert StoredObject.objects.get(pk=job.image_id).deleted_at is not None
    assert pipeline.reconcile()["images_deleted"] == 0
