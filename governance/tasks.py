"""Thin Celery tasks of the governance app: take ids, call one domain function. Idempotent, acks_late."""

from celery import shared_task

from . import support


@shared_task(acks_late=True)
def expire_support_requests() -> int:
    """Celery beat, every minute: unanswered requests after 12 h, grants at their end."""
    return support.expire_due()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notify_access_request(request_id: int, event: str) -> int:
    return support.send_notification(request_id=request_id, event=event)
