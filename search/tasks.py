"""Thin Celery tasks: take ids, call one pipeline function. Idempotent, acks_late.

Every task has an explicit name, `search.<verb_noun>`: routes (settings) refer to it, so it must not
change when a module moves.

Each delivery claims the job with its own task id (`self.request.id`, which a redelivered message
and a retry keep): a message redelivered after its worker died resumes its own claim, one that a
newer delivery superseded does nothing. Outages are retried with backoff (RetriesOutages); a stage
that gives up ends the job failed with the outage's code."""

import uuid

from celery import shared_task
from django.conf import settings

from governance.transient import RetriesOutages

from . import pipeline
from .providers import RETRYABLE


class SearchStage(RetriesOutages):
    abstract = True
    soft_time_limit = int(settings.SEARCH_TASK_TIME_LIMIT * 0.8)  # then the job ends with its code
    time_limit = settings.SEARCH_TASK_TIME_LIMIT

    def gave_up(self, *, error_code: str, args: tuple, kwargs: dict) -> None:
        pipeline.give_up(job_id=args[0] if args else kwargs["job_id"], error_code=error_code)


@shared_task(name="search.prepare_job", base=SearchStage, bind=True, acks_late=True)
def prepare_job(self, job_id: str) -> None:
    if pipeline.prepare(job_id=job_id, delivery=self.request.id):
        describe = str(uuid.uuid4())
        if pipeline.hand_over(job_id=job_id, delivery=self.request.id, to=describe):
            describe_job.apply_async((job_id,), task_id=describe)


@shared_task(name="search.describe_job", base=SearchStage, bind=True, acks_late=True, max_retries=None)
def describe_job(self, job_id: str, claim: bool = False) -> None:
    """Describe a job; passing provider failures are retried with backoff (honouring Retry-After)
    up to VISION_MAX_RETRIES times, after which the pipeline ends the job with the failure's code.

    `claim`: the job was queued here directly (no faces to blur, no `prepare_job`), so the first
    run claims it; retries (which carry the same arguments) find it already running, theirs."""
    retries = self.request.retries
    try:
        pipeline.describe(
            job_id=job_id,
            may_retry=retries < settings.VISION_MAX_RETRIES,
            claim=claim,
            delivery=self.request.id,
        )
    except RETRYABLE as exc:
        delay = pipeline.retry_delay(retries=retries, retry_after=exc.retry_after)
        if delay is None:
            pipeline.give_up(job_id=job_id, error_code=exc.code)
            return
        pipeline.hold(job_id=job_id, delivery=self.request.id, seconds=delay)
        raise self.retry(countdown=delay, exc=None) from None


@shared_task(name="search.reconcile_jobs", base=RetriesOutages, acks_late=True)
def reconcile_jobs() -> dict:
    """Beat, every SEARCH_RECONCILE_SECONDS: requeue search jobs whose delivery was lost."""
    return pipeline.reconcile()
