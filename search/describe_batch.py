"""The provider stage for many jobs at once: jobs queued straight to it (tenants not blurring faces).

One loop per process claims queued jobs in batches with one statement (`FOR UPDATE SKIP LOCKED`:
any number of processes on any number of machines share the queue, no job goes to two), hands
each job to a thread that reads its image and calls the provider, and ends what came back in one
transaction per round: the jobs' ends in one `UPDATE ... FROM unnest(...)`, their results and usage
events in one insert each, their images deleted in one call. Only the loop's thread touches the
database: one connection per process, whatever the number of calls in flight.

Per job it keeps the pipeline's promises (search.pipeline.describe):
- consent is read fresh right before a job is handed to its thread, and a thread is always free
  for it (no more jobs are claimed than there are free threads), so a revocation cancels every
  job not yet sent, including jobs waiting to be tried again;
- each provider call counts one attempt, counted in one statement for all the jobs sent together;
- a passing failure (timeout, 429, 5xx) waits here (backoff, Retry-After; search.pipeline.retry_delay)
  and is tried again, up to VISION_MAX_RETRIES times; a Retry-After beyond VISION_RETRY_MAX_SECONDS
  and every other failure end the job with the provider error's code;
- every job ends once, with one usage event and one audit event, and its transient image deleted.

Threads and the SDKs' blocking clients, not asyncio: measured on this machine, google-genai's async
client (httpx2) made 89 calls/s at 128 in flight (3.7 ms CPU a call), its blocking client in 128
threads 200 calls/s (2.9 ms a call); see bench/README.md.
"""

import heapq
import logging
import queue
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from governance import audit, consent
from governance.models import StoredObject
from governance.storage import objectstore

from . import matching, pipeline
from .models import SearchJob, SearchResult, UsageEvent
from .providers import INSTRUCTIONS, RETRYABLE, ImageInput, ProviderError, get_provider

log = logging.getLogger(__name__)

DONE, FAILED, CANCELLED = SearchJob.Status.DONE, SearchJob.Status.FAILED, SearchJob.Status.CANCELLED
RETRY = "retry"
HEARTBEAT_SECONDS = 5.0


@dataclass(eq=False)
class ClaimedJob:
    id: uuid.UUID
    tenant_id: int
    provider: str
    context: str
    has_context: bool
    image: StoredObject | None
    retain_days: int
    created_by_id: int | None
    retries: int = 0
    sent: float = 0.0  # time.monotonic() of the current attempt


@dataclass(eq=False)
class Outcome:
    job: ClaimedJob
    status: str
    error_code: str = ""
    description: str = ""
    retry_after: float | None = None
    latency_ms: int | None = None


@dataclass(order=True)
class _Waiting:
    due: float
    seq: int
    job: ClaimedJob = field(compare=False)


def claim_batch(*, limit: int) -> list[ClaimedJob]:
    """Move up to `limit` queued jobs (oldest first) of tenants that do not blur faces to running,
    in one statement; also takes back running ones whose lease ran out (SEARCH_LEASE_SECONDS)."""
    now = timezone.now()
    table, tenants = SearchJob._meta.db_table, SearchJob._meta.get_field("tenant").related_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS j SET status = 'running', started_at = %(now)s, lease_until = %(lease)s,
                                    claim_token = 'batch'
            FROM {tenants} AS t
            WHERE t.id = j.tenant_id AND j.id = ANY(ARRAY(
                SELECT q.id FROM {table} AS q JOIN {tenants} AS qt ON qt.id = q.tenant_id
                WHERE NOT qt.face_blur
                  AND (q.status = 'queued' OR (q.status = 'running' AND (q.lease_until < %(now)s OR q.lease_until IS NULL)))
                ORDER BY q.created_at LIMIT %(limit)s
                FOR UPDATE OF q SKIP LOCKED))
            RETURNING j.id, j.tenant_id, j.provider, j.context, j.has_context, j.image_id,
                      t.retain_cleaned_images_days, j.created_by_id
            """,
            {"now": now, "lease": pipeline._lease(now), "limit": limit},
        )
        rows = cursor.fetchall()
    if not rows:
        return []
    images = StoredObject.objects.in_bulk([row[5] for row in rows if row[5]])
    context = SearchJob._meta.get_field("context")
    return [
        ClaimedJob(
            id=job_id, tenant_id=tenant_id, provider=provider, context=context.from_db_value(ctx, None, connection),
            has_context=has_context, image=images.get(image_id), retain_days=retain_days or 0,
            created_by_id=created_by_id,
        )
        for job_id, tenant_id, provider, ctx, has_context, image_id, retain_days, created_by_id in rows
    ]


def count_attempts(jobs: list[ClaimedJob]) -> list[ClaimedJob]:
    """Count one attempt for each job about to be sent (and renew its claim), in one statement;
    returns the jobs still running (one ended or taken back meanwhile is not sent)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SearchJob._meta.db_table} SET attempts = attempts + 1, started_at = %s, lease_until = %s "
            "WHERE id = ANY(%s) AND status = 'running' RETURNING id",
            [now := timezone.now(), pipeline._lease(now), [job.id for job in jobs]],
        )
        running = {row[0] for row in cursor.fetchall()}
    return [job for job in jobs if job.id in running]


def end_batch(outcomes: list[Outcome]) -> list[Outcome]:
    """Record the ends of many jobs at once (each only if it has not ended yet), their results,
    usage and audit events, then keep opted-in images and delete the transient ones. Returns the
    outcomes that ended their job."""
    if not outcomes:
        return []
    now = timezone.now()
    description = SearchJob._meta.get_field("description")
    by_id = {o.job.id: o for o in outcomes}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {SearchJob._meta.db_table} AS j
                SET status = v.status, error_code = v.error_code, description = v.description, finished_at = %s
                FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[]) AS v(id, status, error_code, description)
                WHERE j.id = v.id AND j.status NOT IN ('done', 'failed', 'cancelled')
                RETURNING j.id
                """,
                [
                    now,
                    list(by_id),
                    [o.status for o in outcomes],
                    [o.error_code for o in outcomes],
                    [description.get_db_prep_save(o.description, connection) for o in outcomes],
                ],
            )
            ended = [by_id[row[0]] for row in cursor.fetchall()]
        done = [o for o in ended if o.status == DONE]
        ranked = matching.rank_many(
            queries=[(o.job.tenant_id, o.description) for o in done], limit=settings.SEARCH_RESULTS_LIMIT
        )
        SearchResult.objects.bulk_create(
            SearchResult(tenant_id=o.job.tenant_id, job_id=o.job.id, document_id=doc_id, rank=rank, score=score)
            for o, matches in zip(done, ranked, strict=True)
            for rank, (doc_id, score) in enumerate(matches, start=1)
        )
        UsageEvent.objects.bulk_create(
            UsageEvent(
                tenant_id=o.job.tenant_id, created_at=now, provider=o.job.provider, used_context=o.job.has_context,
                latency_ms=o.latency_ms, outcome=o.error_code or o.status,
            )
            for o in ended
        )
        record_ends(ended)
    for o in ended:
        if o.status == DONE and o.job.retain_days:
            try:
                pipeline.retain_image(job=_job_row(o.job))
            except Exception as exc:  # noqa: BLE001 - a failed copy must never keep the transient image
                log.warning("search job %s: retaining the cleaned image failed (%s)", o.job.id, type(exc).__name__)
    objectstore.delete([o.job.image for o in ended if o.job.image is not None], reason="job_ended")
    return ended


def record_ends(ended: list[Outcome]) -> None:
    """One audit event per ended job, all in one INSERT, in the caller's transaction."""
    label = SearchJob._meta.label_lower
    audit.record_many(events=[
        {
            "action": f"search_job.{o.status}",
            "actor": "system",
            "tenant": o.job.tenant_id,
            "target": (label, str(o.job.id)),
            "metadata": {"error_code": o.error_code} if o.error_code else {},
        }
        for o in ended
    ])


def _job_row(job: ClaimedJob) -> SearchJob:
    return SearchJob(id=job.id, tenant_id=job.tenant_id, image_id=job.image.pk if job.image else None,
                     created_by_id=job.created_by_id, provider=job.provider)


def call_provider(job: ClaimedJob) -> Outcome:
    """One provider call (in a pool thread; touches no database). Every failure becomes an outcome."""
    try:
        if job.image is None:
            raise FileNotFoundError("the job has no image")
        image = ImageInput(objectstore.read(job.image), job.image.content_type)
        text = get_provider(job.provider).describe(image=image, context=job.context, instructions=INSTRUCTIONS)
        outcome = Outcome(job, DONE, description=text)
    except RETRYABLE as exc:
        outcome = Outcome(job, RETRY, exc.code, retry_after=exc.retry_after)
    except ProviderError as exc:
        log.warning("search job %s: provider %s failed with %s", job.id, job.provider, exc.code)
        outcome = Outcome(job, FAILED, exc.code)
    except FileNotFoundError:
        outcome = Outcome(job, FAILED, "image_expired")
    except Exception as exc:  # noqa: BLE001 - the job must end whatever broke; logged by type only
        log.error("search job %s: describing failed (%s)", job.id, type(exc).__name__)
        outcome = Outcome(job, FAILED, "internal_error")
    outcome.latency_ms = int((time.monotonic() - job.sent) * 1000)
    return outcome


class DescribeStage:
    """The loop of one process: claims, sends, waits, ends. `run()` until `stop` is set."""

    def __init__(
        self, *, threads: int = 128, batch: int = 64, poll_seconds: float = 0.1, gather_seconds: float = 0.05,
        heartbeat: Path | None = None,
    ):
        self.threads, self.batch = threads, max(1, min(batch, threads))
        self.poll_seconds, self.gather_seconds = poll_seconds, gather_seconds
        self.heartbeat, self.last_beat = heartbeat, 0.0
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="describe")
        self.done: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self.in_flight = 0
        self.waiting: list[_Waiting] = []  # passing failures, by when they may be tried again
        self._seq = 0
        self.next_claim = 0.0
        self.ended = 0

    def run(self, *, stop: threading.Event | None = None, until_idle: bool = False) -> None:
        """Serve until `stop` is set (then finish what is in flight and put waiting jobs back in
        the queue), or with `until_idle` until nothing is queued, in flight or waiting."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                claimed = self.step()
                if until_idle and claimed == 0 and self.idle:
                    break
            while self.in_flight:
                self._settle(self._collect(timeout=self.poll_seconds))
        finally:
            self._release_waiting()
            self.pool.shutdown(wait=True)

    def step(self) -> int | None:
        """One turn: end what came back, send what is due again, claim into the free threads."""
        self._settle(self._collect(timeout=self._wait_seconds()))
        self._send(self._due())
        claimed = self._claim()
        self._beat()
        return claimed

    def _beat(self) -> None:
        """Touch the heartbeat file, at most every HEARTBEAT_SECONDS, after each turn of the loop: a
        container's health check reads its age, so a loop stuck anywhere (the database, a lock) shows."""
        now = time.monotonic()
        if self.heartbeat is not None and now - self.last_beat >= HEARTBEAT_SECONDS:
            self.heartbeat.touch()
            self.last_beat = now

    @property
    def idle(self) -> bool:
        return not self.in_flight and not self.waiting

    def _may_claim(self) -> bool:
        """Enough free threads for a claim worth a statement: an eighth of the pool (or the batch)."""
        return self.threads - self.in_flight >= min(self.batch, max(1, self.threads // 8))

    def _wait_seconds(self) -> float:
        now = time.monotonic()
        # Without room for a claim, only a call coming back (or a retry falling due) is worth waking for.
        wake = self.next_claim if self._may_claim() else now + self.poll_seconds
        if self.waiting and self.in_flight < self.threads:
            wake = min(wake, self.waiting[0].due)
        return min(max(wake - now, 0.0), self.poll_seconds)

    def _collect(self, *, timeout: float) -> list[Outcome]:
        """The outcomes that came back: waits up to `timeout` for the first, then `gather_seconds`
        more for others, so that ends are written many at a time."""
        outcomes = []
        if not self.in_flight:
            if timeout:
                time.sleep(timeout)
            return outcomes
        try:
            outcomes.append(self.done.get(timeout=timeout))
            until = time.monotonic() + self.gather_seconds
            while len(outcomes) < self.in_flight:
                outcomes.append(self.done.get(timeout=max(until - time.monotonic(), 0)))
        except queue.Empty:
            pass
        self.in_flight -= len(outcomes)
        return outcomes

    def _claim(self) -> int | None:
        """Claim as many jobs as there are free threads (at least an eighth of the pool's worth, so
        claims come in batches), send them; returns how many, None when it did not ask."""
        if time.monotonic() < self.next_claim or not self._may_claim():
            return None
        limit = min(self.threads - self.in_flight, self.batch)
        try:
            jobs = claim_batch(limit=limit)
        except DatabaseError as exc:
            log.error("describe stage: claiming failed (%s)", type(exc).__name__)
            connection.close()
            jobs = []
        if len(jobs) < limit:
            self.next_claim = time.monotonic() + self.poll_seconds
        self._send(jobs)
        return len(jobs)

    def _due(self) -> list[ClaimedJob]:
        now, free, due = time.monotonic(), self.threads - self.in_flight, []
        while self.waiting and self.waiting[0].due <= now and len(due) < free:
            due.append(heapq.heappop(self.waiting).job)
        return due

    def _send(self, jobs: list[ClaimedJob]) -> None:
        """Consent read fresh for each tenant and provider of these jobs, then one attempt counted
        for those that may go, and straight to a free thread."""
        if not jobs:
            return
        verdicts, stopped, going = {}, [], []
        try:
            for job in jobs:
                try:
                    subprocessor = get_provider(job.provider).subprocessor
                except ValueError:  # a provider key this deployment no longer knows
                    stopped.append(Outcome(job, FAILED, "internal_error"))
                    continue
                key = (job.tenant_id, subprocessor)
                if key not in verdicts:
                    verdicts[key] = consent.withdrawn(tenant=job.tenant_id, provider_key=subprocessor)
                if verdicts[key]:
                    stopped.append(Outcome(job, CANCELLED, verdicts[key]))
                else:
                    going.append(job)
            self._end(stopped)
            going = count_attempts(going) if going else []
        except DatabaseError as exc:
            # Nothing sent: the jobs stay claimed until the claim is stale, then are taken back.
            log.error("describe stage: sending %d jobs failed (%s)", len(jobs), type(exc).__name__)
            connection.close()
            return
        for job in going:
            job.sent = time.monotonic()
            self.in_flight += 1
            self.pool.submit(call_provider, job).add_done_callback(lambda future: self.done.put(future.result()))

    def _settle(self, outcomes: list[Outcome]) -> None:
        ending = []
        for outcome in outcomes:
            job = outcome.job
            if outcome.status != RETRY:
                ending.append(outcome)
                continue
            delay = None
            if job.retries < settings.VISION_MAX_RETRIES:
                delay = pipeline.retry_delay(retries=job.retries, retry_after=outcome.retry_after)
            log.warning("search job %s: provider %s failed with %s (retry: %s)", job.id, job.provider,
                        outcome.error_code, delay is not None)
            if delay is None:
                ending.append(Outcome(job, FAILED, outcome.error_code, latency_ms=outcome.latency_ms))
            else:
                job.retries += 1
                self._seq += 1
                heapq.heappush(self.waiting, _Waiting(time.monotonic() + delay, self._seq, job))
        self._end(ending)

    def _end(self, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        try:
            self.ended += len(end_batch(outcomes))
        except DatabaseError as exc:
            # Left running: the claim grows stale and the jobs are taken back (by this stage or the reconciler).
            log.error("describe stage: ending %d jobs failed (%s)", len(outcomes), type(exc).__name__)
            connection.close()

    def _release_waiting(self) -> None:
        """Jobs waiting to be tried again go back to the queue for whichever process is left."""
        if not self.waiting:
            return
        ids = [w.job.id for w in self.waiting]
        self.waiting = []
        try:
            SearchJob.objects.filter(pk__in=ids, status=SearchJob.Status.RUNNING).update(status=SearchJob.Status.QUEUED)
        except DatabaseError as exc:
            log.error("describe stage: releasing %d waiting jobs failed (%s)", len(ids), type(exc).__name__)
