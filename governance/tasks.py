"""Thin Celery tasks of the governance app: take ids (or nothing), call one domain function. Idempotent, acks_late.

Every task has an explicit name, `governance.<verb_noun>`: the beat schedule (settings) and the
PeriodicTask rows refer to it, so it must not change when a module moves."""

from celery import shared_task
from django.conf import settings

from governance import audit
from governance.errors import SightguardError
from governance.retention import enforce
from governance.storage import sweeper
from governance.support import mail, workflow
from governance.transient import RetriesOutages


@shared_task(name="governance.expire_support_requests", base=RetriesOutages, acks_late=True)
def expire_support_requests() -> int:
    """Celery beat, every minute: unanswered requests after 12 h, grants at their end."""
    return workflow.expire_due()


@shared_task(
    name="governance.notify_access_request", acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def notify_access_request(request_id: int, event: str) -> int:
    return mail.send_notification(request_id=request_id, event=event)


@shared_task(name="governance.sweep_objects", base=RetriesOutages, acks_late=True, soft_time_limit=240, time_limit=300)
def sweep_objects() -> None:
    """Celery beat, every minute (CELERY_BEAT_SCHEDULE). Idempotent."""
    sweeper.sweep()


@shared_task(
    name="governance.enforce_retention",
    base=RetriesOutages,
    acks_late=True,
    soft_time_limit=settings.LONG_TASK_TIME_LIMIT - 200,
    time_limit=settings.LONG_TASK_TIME_LIMIT,
)
def enforce_retention() -> int | None:
    """Celery beat, hourly. Idempotent: a second delivery finds nothing more to do, or resumes the run."""
    try:
        report = enforce.enforce(actor="system:retention")
    except SightguardError as exc:
        if exc.code == "retention_run_in_progress":
            return None  # the previous hour's run is still going; it will finish the work
        raise
    return report.run.pk


@shared_task(name="governance.seal_audit_logs", acks_late=True, soft_time_limit=240, time_limit=300)
def seal_audit_logs() -> int:
    """Celery beat, every AUDIT_SEAL_SECONDS: new events get their leaves, grown logs a signed
    checkpoint. Idempotent; gives way to a sealer already running."""
    return audit.seal(wait=False).sealed
