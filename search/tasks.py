"""Thin Celery tasks: take ids, call one pipeline function. Idempotent, acks_late."""

from celery import shared_task

from . import pipeline


@shared_task(acks_late=True)
def prepare_job(job_id: str) -> None:
    if pipeline.prepare(job_id=job_id):
        describe_job.delay(job_id)


@shared_task(acks_late=True)
def describe_job(job_id: str) -> None:
    pipeline.describe(job_id=job_id)
