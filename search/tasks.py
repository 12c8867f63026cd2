"""Thin Celery tasks: take ids, call one pipeline function. Idempotent, acks_late.

Every task has an explicit name, `search.<verb_noun>`: routes (settings) refer to it, so it must not
change when a module moves."""

from celery import shared_task
from django.conf import settings

from . import pipeline
from .providers import RETRYABLE


@shared_task(name="search.prepare_job", acks_late=True)
def prepare_job(job_id: str) -> None:
    if pipeline.prepare(job_id=job_id):
        describe_job.delay(job_id)


@shared_task(name="search.describe_job", bind=True, acks_late=True, max_retries=None)
def describe_job(self, job_id: str, claim: bool = False) -> None:
    """Describe a job; passing provider failures are retried with backoff (honouring Retry-After)
    up to VISION_MAX_RETRIES times, after which the pipeline ends the job with the failure's code.

    `claim`: the job was queued here directly (no faces to blur, no `prepare_job`), so the first
    run claims it; retries (which carry the same arguments) find it already running, theirs."""
    retries = self.request.retries
    try:
        pipeline.describe(
            job_id=job_id, may_retry=retries < settings.VISION_MAX_RETRIES, claim=claim and not retries
        )
    except RETRYABLE as exc:
        delay = pipeline.retry_delay(retries=retries, retry_after=exc.retry_after)
        if delay is None:
            pipeline.give_up(job_id=job_id, error_code=exc.code)
            return
        raise self.retry(countdown=delay, exc=None) from None
