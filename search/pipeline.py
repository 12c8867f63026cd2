"""The image-search pipeline: accept an upload, prepare it, describe it, end the job.

Whatever the end (done, failed, cancelled), the transient image is deleted in the same step that
records the end.
"""

import logging
import random
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from governance import audit, consent, transfers
from governance.models import StoredObject, Tenant
from governance.storage import objectstore
from governance.transient import TRANSIENT

from . import matching
from .models import SearchJob, UsageEvent
from .providers import INSTRUCTIONS, RETRYABLE, ImageInput, ProviderError, get_provider
from .sanitize import clean_image, encode, open_clean

log = logging.getLogger(__name__)
MAX_CONTEXT_CHARS = 2000
BATCH = 500  # jobs the reconciler looks at per pass
SEARCH_QUEUES = ("cpu", "provider")


def _lease(now, *, extra: float = 0):
    return now + timedelta(seconds=settings.SEARCH_LEASE_SECONDS + extra)


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
            lease_until=_lease(timezone.now()),  # a queued job whose message is lost is requeued after it
        )
        audit.record(
            action="search_job.created",
            actor=user,
            tenant=tenant,
            target=job,
            metadata={"provider": provider.key, "has_context": job.has_context},
        )
        transaction.on_commit(lambda: _queue(job.pk, face_blur=tenant.face_blur))
    return job


def _queue(job_id, *, face_blur: bool, delivery: str | None = None):
    """Where a job goes first. With faces to blur, to the CPU queue (`prepare_job`, which then
    queues `describe_job` on the provider queue). Without, there is no CPU work to do: straight to
    `describe_job`, which claims the job itself (one task hop instead of two). `describe` checks
    the tenant's face_blur again when it claims, and sends the job back to `prepare_job` if the
    tenant turned blurring on in between: no image leaves unblurred for a tenant that asks."""
    from .tasks import describe_job, prepare_job

    if face_blur:
        prepare_job.apply_async((str(job_id),), task_id=delivery)
    elif not settings.VISION_BATCH_STAGE:
        describe_job.apply_async((str(job_id),), {"claim": True}, task_id=delivery)
    # else the batch stage (search.describe_batch, `manage.py describe_queued_jobs`) claims it


def _claimable(now, *, delivery: str | None):
    """A queued job; a running one claimed by this same delivery (a message redelivered after its
    worker died: its own claim, resumed); or a running one whose lease ran out."""
    mine = Q(status=SearchJob.Status.RUNNING, claim_token=delivery) if delivery else Q(pk__in=[])
    return (
        Q(status=SearchJob.Status.QUEUED)
        | mine
        | Q(status=SearchJob.Status.RUNNING, lease_until__lt=now)
        | Q(status=SearchJob.Status.RUNNING, lease_until__isnull=True)
    )


def claim(*, job_id, delivery: str | None = None) -> SearchJob | None:
    """Move a queued (or abandoned running) job to running for `delivery` (the Celery task id of the
    message at hand); None if another delivery holds it or it ended."""
    now = timezone.now()
    claimed = SearchJob.objects.filter(_claimable(now, delivery=delivery), pk=job_id).update(
        status=SearchJob.Status.RUNNING, started_at=now, claim_token=delivery or "", lease_until=_lease(now)
    )
    return SearchJob.objects.select_related("tenant", "image").get(pk=job_id) if claimed else None


def hand_over(*, job_id, delivery: str, to: str) -> bool:
    """Pass the claim from one stage's delivery to the next stage's message (sent after this)."""
    return bool(
        SearchJob.objects.filter(pk=job_id, status=SearchJob.Status.RUNNING, claim_token=delivery).update(
            claim_token=to, lease_until=_lease(timezone.now())
        )
    )


def hold(*, job_id, delivery: str | None, seconds: float) -> None:
    """Keep the claim while a retry waits out its countdown."""
    SearchJob.objects.filter(pk=job_id, status=SearchJob.Status.RUNNING, claim_token=delivery or "").update(
        lease_until=_lease(timezone.now(), extra=seconds)
    )


def prepare(*, job_id, delivery: str | None = None) -> bool:
    """CPU stage: claim the job and make the image ready to send. Returns whether to describe it.

    When the tenant asks for it (Tenant.face_blur, on by default) faces are blurred in the stored
    image before anything is sent. If that cannot be done the job fails: an image is never sent
    unblurred to a tenant that asked for blurring.
    """
    job = claim(job_id=job_id, delivery=delivery)
    if job is None:
        return False
    if not job.tenant.face_blur:
        return True
    try:
        blur_faces(job=job)
    except FileNotFoundError:
        finish(job=job, status=SearchJob.Status.FAILED, error_code="image_expired")
        return False
    except TRANSIENT:
        raise  # the task retries the stage; the claim stays this delivery's
    except Exception as exc:  # noqa: BLE001 - whatever broke, the image must not leave unblurred
        log.error("search job %s: face blurring failed (%s)", job.pk, type(exc).__name__)
        finish(job=job, status=SearchJob.Status.FAILED, error_code="face_blur_failed")
        return False
    return True


def blur_faces(*, job: SearchJob) -> int:
    """Blur the faces in the job's stored image, in place; returns how many. Idempotent: a blurred
    image has no face left to find, and an image without faces is left byte for byte as it was."""
    from . import (
        faces,  # onnxruntime and NumPy load only where faces are blurred, not in web or export
    )

    image = open_clean(objectstore.read(job.image))
    blurred, count = faces.blur_faces(image, redaction=job.tenant.face_redaction)
    if count:
        cleaned = encode(blurred)
        with transaction.atomic():
            objectstore.replace(job.image, data=cleaned.data, content_type=cleaned.mime_type)
            audit.record(
                action="search_job.faces_blurred", actor="system", tenant=job.tenant_id, target=job, metadata={"faces": count}
            )
    return count


def describe(*, job_id, may_retry: bool = False, claim: bool = False, delivery: str | None = None) -> SearchJob:
    """Provider stage: send the cleaned image, context and instructions; record the description.

    A passing failure (timeout, 429, 5xx) is raised when `may_retry`, leaving the job running and
    its image in place for the caller (the Celery task) to try again later; otherwise, and for
    every other failure, the job ends failed with the provider's error code.

    With `claim` (a job queued straight to the provider stage, its tenant not blurring faces) the
    job is claimed here, in the same statement that counts the attempt; a job someone else holds
    or that ended is left alone, and one whose tenant now asks for blurring goes to `prepare_job`.

    `delivery` is the Celery task id of the message at hand: the job's claim must be its own (handed
    over by `prepare`, or taken here); a message that another delivery superseded does nothing.
    Without one (a direct call) the caller holds the claim.
    """
    job = SearchJob.objects.select_related("tenant", "image").get(pk=job_id)
    now = timezone.now()
    claimable = _claimable(now, delivery=delivery)
    if job.status in SearchJob.FINISHED:
        delete_image(job=job)  # normally gone already: this delivery may be the retry of a failed delete
        return job
    if claim:
        if not SearchJob.objects.filter(claimable, pk=job.pk).exists():
            return job
        if job.tenant.face_blur:
            if job.status == SearchJob.Status.RUNNING:  # our own claim, from before blurring was turned on
                _requeue(job=job, now=now)
            else:
                _queue(job.pk, face_blur=True)
            return job
    elif job.status != SearchJob.Status.RUNNING or (delivery and job.claim_token != delivery):
        return job
    started = time.monotonic()
    try:
        provider = get_provider(job.provider)
        image = ImageInput(objectstore.read(job.image), job.image.content_type)
        if withdrawn := consent.withdrawn(tenant=job.tenant_id, provider_key=provider.subprocessor):
            return finish(job=job, status=SearchJob.Status.CANCELLED, error_code=withdrawn, started=started)
        # One statement counts the attempt (and, with `claim`, moves the job to running).
        jobs = SearchJob.objects.filter(pk=job.pk)
        if claim:
            if not jobs.filter(claimable).update(
                status=SearchJob.Status.RUNNING, started_at=now, attempts=F("attempts") + 1,
                claim_token=delivery or "", lease_until=_lease(now),
            ):
                return job  # claimed by someone else meanwhile
            job.status, job.started_at = SearchJob.Status.RUNNING, now
        else:
            mine = Q(claim_token=delivery) if delivery else Q()
            if not jobs.filter(mine, status=SearchJob.Status.RUNNING).update(
                attempts=F("attempts") + 1, lease_until=_lease(now)
            ):
                return job  # superseded meanwhile (requeued by the reconciler) or ended
        job.attempts += 1
        if provider.subprocessor:  # the image leaves us now: record to whom (a timeout may still deliver it)
            transfers.record(tenant_id=job.tenant_id, subprocessor=provider.subprocessor, job_id=job.pk,
                             user_id=job.created_by_id, bytes_sent=len(image.data),
                             endpoint=getattr(provider, "endpoint", ""))
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
    except TRANSIENT:
        raise  # the task retries the stage with backoff; the claim stays this delivery's
    except Exception:
        finish(job=job, status=SearchJob.Status.FAILED, error_code="internal_error", started=started)
        raise
    return finish(job=job, status=SearchJob.Status.DONE, description=description, started=started)


def reconcile(*, now=None) -> dict[str, int]:
    """Beat, every SEARCH_RECONCILE_SECONDS: requeue every unfinished job whose lease ran out (its
    worker died, or its message was lost with the broker), as a new delivery; a job requeued
    SEARCH_MAX_RECOVERIES times already ends failed (`stalled`). Then delete the image of any ended
    job that still has one (its worker died between recording the end and deleting it)."""
    now = now or timezone.now()
    counts = {"requeued": 0, "stalled": 0, "images_deleted": 0}
    unfinished = [SearchJob.Status.RUNNING]
    # A queued job past its lease lost its message, unless the queues still hold messages (a
    # backlog: its message may be waiting there, and a copy would only lengthen the wait).
    if not waiting_messages():
        unfinished.append(SearchJob.Status.QUEUED)
    lost = SearchJob.objects.filter(status__in=unfinished).filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True))
    for job in lost.select_related("tenant", "image").order_by("lease_until")[:BATCH]:
        if job.recoveries >= settings.SEARCH_MAX_RECOVERIES:
            finish(job=job, status=SearchJob.Status.FAILED, error_code="stalled")
            counts["stalled"] += 1
        elif _requeue(job=job, now=now):
            counts["requeued"] += 1
    leftover = SearchJob.objects.filter(
        status__in=SearchJob.FINISHED, image__isnull=False, image__deleted_at__isnull=True
    ).select_related("image")
    for job in leftover[:BATCH]:
        delete_image(job=job)
        counts["images_deleted"] += 1
    if counts["requeued"] or counts["stalled"] or counts["images_deleted"]:
        log.warning("search reconciler: %s", counts)
    return counts


def waiting_messages() -> int:
    """Messages waiting in the search queues (not those a worker holds)."""
    from config import celery_app

    if celery_app.conf.task_always_eager:
        return 0
    from kombu.exceptions import ChannelError

    waiting = 0
    with celery_app.connection_for_write() as conn:
        for queue in SEARCH_QUEUES:
            try:
                waiting += conn.default_channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:  # no such queue (Redis: an empty one): nothing waits there
                pass
    return waiting


def _requeue(*, job: SearchJob, now) -> bool:
    """Send the job again as a new delivery, if nobody touched its claim since we read it."""
    delivery = str(uuid.uuid4())
    taken = SearchJob.objects.filter(
        pk=job.pk, status=job.status, claim_token=job.claim_token, lease_until=job.lease_until
    ).update(
        status=SearchJob.Status.QUEUED, claim_token=delivery, lease_until=_lease(now), recoveries=F("recoveries") + 1
    )
    if taken:
        _queue(job.pk, face_blur=job.tenant.face_blur, delivery=delivery)
    return bool(taken)


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
        job.status, job.error_code, job.description, job.finished_at = status, error_code, description, now
        if status == SearchJob.Status.DONE:
            # This transaction is the one that ends the job: no results of it can exist yet.
            matching.store_results(job=job, description=description, replace=False)
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
    if status == SearchJob.Status.DONE:
        try:
            retain_image(job=job)
        except Exception as exc:  # noqa: BLE001 - a failed copy must never keep the transient image
            log.warning("search job %s: retaining the cleaned image failed (%s)", job.pk, type(exc).__name__)
    delete_image(job=job)
    return job


def retain_image(*, job: SearchJob) -> StoredObject | None:
    """Tenant opt-in (Tenant.retain_cleaned_images_days > 0): keep a copy of the cleaned (and
    blurred) image for that many days under retained/images/, reachable only through one-hour
    links. Recorded with the blind index of the searcher's e-mail, so erasure and export find it."""
    if SearchJob.tenant.is_cached(job):  # read with the job, in this same task
        days = job.tenant.retain_cleaned_images_days
    else:
        days = Tenant.objects.filter(pk=job.tenant_id).values_list("retain_cleaned_images_days", flat=True).first()
    if not days or not job.image_id:
        return None
    source = StoredObject.objects.get(pk=job.image_id)
    data = objectstore.read(source)
    subject = job.created_by.email_index if job.created_by_id else ""
    with transaction.atomic():
        kept = objectstore.put(
            purpose=StoredObject.Purpose.RETAINED_IMAGE,
            data=data,
            content_type=source.content_type,
            lifetime=timedelta(days=days),
            tenant=job.tenant_id,
            subject_index=subject,
        )
        SearchJob.objects.filter(pk=job.pk).update(retained_image=kept)
        job.retained_image = kept
        audit.record(
            action="search_job.image_retained",
            actor="system",
            tenant=job.tenant_id,
            target=job,
            metadata={"days": days, "object": str(kept.pk)},
        )
    return kept


def delete_image(*, job: SearchJob) -> None:
    if not job.image_id:
        return
    # The row in hand when the job was read with its image (select_related); deleting is idempotent
    # (a key already gone is fine, the row is closed only where deleted_at is still null).
    image = job.image if SearchJob.image.is_cached(job) else StoredObject.objects.filter(pk=job.image_id)
    objectstore.delete(image, reason="job_ended")


def retained_image_link(*, job: SearchJob, actor) -> objectstore.DownloadLink:
    """A one-hour app link to the job's retained image; refused when there is none (any more)."""
    from governance.errors import SightguardError

    kept = StoredObject.objects.filter(pk=job.retained_image_id, deleted_at__isnull=True).first()
    if kept is None:
        raise SightguardError("This search has no retained image.", code="no_retained_image", status=404)
    return objectstore.issue_download(kept, actor=actor)
