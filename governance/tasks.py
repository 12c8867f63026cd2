"""Thin Celery tasks of the governance app: take ids (or nothing), call one domain function. Idempotent, acks_late."""

from celery import shared_task

from governance.storage import sweeper
from governance.support import mail, workflow


@shared_task(acks_late=True)
def expire_support_requests() -> int:
    """Celery beat, every minute: unanswered requests after 12 h, grants at their end."""
    return workflow.expire_due()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_access_request(request_id: int, event: str) -> int:
    return mail.send_notification(request_id=request_id, event=event)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def sweep_objects() -> None:
    """Every minute (django-celery-beat, see migration issue4_sweeper_schedule). Idempotent."""
    sweeper.sweep()
