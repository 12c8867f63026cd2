"""The image-search pipeline: accept an upload, prepare it, describe it, end the job.

Whatever the end (done, failed, cancelled), the transient image is deleted in the same step that
records the end.
"""

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from governance import audit, consent, objectstore
from governance.models import StoredObject

from . import matching
from .models import SearchJob, UsageEvent
from .providers import INSTRUCTIONS, RETRYABLE, ImageInput, ProviderError, get_provider
from .sanitize import clean_image

log = logging.getLogger(__name__)
MAX_CONTEXT_CHARS = 2000
# A job claimed longer ago than the task hard limit was lost with its worker: it may be claimed again.
STALE_CLAIM = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def create_job(*, tenant, user, image_bytes: bytes, context: str = "") -> SearchJob:
    """Clean the upload, store only the cleaned image, and queue the job. Refusals leave nothing."""
    from governance.errors import SightguardError

    if len(context) > MAX_CONTEXT_CHARS:
        raise SightguardError(f"The context is over {MAX_CONTEXT_CHARS} characters.", code="context_too_long")
    provider = get_provider()
    consent.require_consent(tenant=tenant, provider_key=provider.subprocessor)
    cleaned = clean_image(image_bytes)
    with transaction.atomic():
        image = objectstore.put(
            purpose=StoredObject.Purpose.TRANSIENT_IMAGE,
            data=cleaned.data,
            content_type=cleaned.mime_type,
            lifetime=timedelta(seconds=settings.TRANSIENT_IMAGE_SECONDS),
            tenant=tenant,
        )
        job = SearchJob.objects.create(
            tenant=tenant,
            created_by=user,
            context=context,
            has_context=bool(context.strip()),
            provider=provider.key,
            image=image,
        )
        audit.record(
            action="search_job.created",
            actor=user,
            tenant=tenant,
            target=job,
            metadata={"provider": provider.key, "has_context": job.has_context},
        )
        transaction.on_commit(lambda: _queue_prepare(job.pk))
    return job


def _queue_prepare(job_id):
    from .tasks import prepare_job

    prepare_job.delay(str(job_id))


def claim(*, job_id) -> SearchJob | None:
    """Move a queued (or abandoned running) job to running; None if someone else has it or it ended."""
    now = timezone.now()
    jobs = SearchJob.objects.filter(pk=job_id)
    claimed = jobs.filter(status=SearchJob.Status.QUEUED).update(status=SearchJob.Status.RUNNING, started_at=now) or (
        jobs.filter(status=SearchJob.Status.RUNNING, started_at__lt=now - STALE_CLAIM).update(started_at=now)
    )
    return SearchJob.objects.select_related("tenant", "image").get(pk=job_id) if claimed else None


def prepare(*, job_id) -> bool:
    """CPU stage: claim the job and make the image ready to send. Returns whether to describe it."""
    job = claim(job_id=job_id)
    return job is not None


def describe(*, job_id, may_retry: bool = False) -> SearchJob:
    """Provider stage: send the cleaned image, context and instructions; record the description.

    A passing failure (timeout, 429, 5xx) is raised when `may_retry`, leaving the job running and
    its image in place for the caller (the Celery task) to try again later; otherwise, and for
    every other failure, the job ends failed with the provider's error code.
    """
    job = SearchJob.objects.select_related("tenant", "image").get(pk=job_id)
    if job.status != SearchJob.Status.RUNNING:
        return job
    started = time.monotonic()
    try:
        provider = get_provider(job.provider)
        image = ImageInput(objectstore.read(job.image), job.image.content_type)
        if withdrawn := consent.withdrawn(tenant=job.tenant_id, provider_key=provider.subprocessor):
            return finish(job=job, status=SearchJob.Status.CANCELLED, error_code=withdrawn, started=started)
        SearchJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)
        # Without persistent connections (DB_CONN_MAX_AGE=0), hand ours back while we wait on the
        # provider: a thread pool of 128 would otherwise hold 128 idle connections.
        if not connection.in_atomic_block:
            close_old_connections()
        description = provider.describe(image=image, context=job.context, instructions=INSTRUCTIONS)
    except RETRYABLE as exc:
        log.warning("search job %s: provider %s failed with %s (retry: %s)", job.pk, job.provider, exc.code, may_retry)
        if may_retry:
            raise
        return finish(job=job, status=SearchJob.Status.FAILED, error_code=exc.code, started=started)
    except ProviderError as exc:
        log.warning("search job %s: provider %s failed with %s", job.pk, job.provider, exc.code)
        return finish(job=job, status=SearchJob.Status.FAILED, error_code=exc.code, started=started)
    except FileNotFoundError:
        return finish(job=job, status=SearchJob.Status.FAILED, error_code="image_expired", started=started)
    except Exception:
        finish(job=job, status=SearchJob.Status.FAILED, error_code="internal_error", started=started)
        raise
    return finish(job=job, status=SearchJob.Status.DONE, description=description, started=started)


def retry_delay(*, retries: int, retry_after: float | None = None) -> float | None:
    """Seconds before the next provider attempt: exponential backoff with jitter, capped at
    VISION_RETRY_MAX_SECONDS, and never sooner than the provider's Retry-After. None when the
    provider asks for a longer wait than that cap: the job then gives up rather than ask early."""
    if retry_after is not None and retry_after > settings.VISION_RETRY_MAX_SECONDS:
        return None
    backoff = settings.VISION_RETRY_BASE_SECONDS * (2**retries) * (1 + random.random() / 4)
    return max(min(backoff, settings.VISION_RETRY_MAX_SECONDS), retry_after or 0)


def give_up(*, job_id, error_code: str) -> SearchJob:
    """End a running job whose provider failures will not be retried (again)."""
    job = SearchJob.objects.select_related("tenant", "image").get(pk=job_id)
    return finish(job=job, status=SearchJob.Status.FAILED, error_code=error_code)


def finish(*, job: SearchJob, status: str, error_code: str = "", description: str = "", started: float | None = None):
    """Record the end of a job once, delete its transient image, and count the search."""
    now = timezone.now()
    latency_ms = int((time.monotonic() - started) * 1000) if started is not None else None
    with transaction.atomic():
        ended = SearchJob.objects.filter(pk=job.pk).exclude(status__in=SearchJob.FINISHED).update(
            status=status, error_code=error_code, description=description, finished_at=now
        )
        if not ended:
            job.refresh_from_db()
            return job
        if status == SearchJob.Status.DONE:
            matching.store_results(job=job, description=description)
        UsageEvent.objects.create(
            tenant_id=job.tenant_id,
            provider=job.provider,
            used_context=job.has_context,
            latency_ms=latency_ms,
            outcome=error_code or status,
        )
        audit.record(
            action=f"search_job.{status}",
            actor="system",
            tenant=job.tenant_id,
            target=job,
            metadata={"error_code": error_code} if error_code else {},
        )
    delete_image(job=job)
    job.refresh_from_db()
    return job


def delete_image(*, job: SearchJob) -> None:
    if job.image_id:
        objectstore.delete(StoredObject.objects.filter(pk=job.image_id), reason="job_ended")
