"""Thin Celery tasks of the protocol endpoints: take ids, call one domain function. Idempotent."""

from celery import shared_task

from governance.transient import RetriesOutages

from . import callbacks


@shared_task(
    name="compliance.deliver_callback",
    base=RetriesOutages,
    bind=True,
    acks_late=True,
    max_retries=callbacks.MAX_ATTEMPTS,
    soft_time_limit=60,
    time_limit=90,
)
def deliver_callback(self, delivery_id: int) -> None:
    wait = callbacks.deliver(delivery_id=delivery_id)
    if wait is not None and not self.request.is_eager:
        raise self.retry(countdown=wait)


@shared_task(name="compliance.resend_lost_callbacks", base=RetriesOutages, acks_late=True)
def resend_lost_callbacks() -> int:
    """Every few minutes (beat): status callbacks whose worker died or whose task was lost are sent again."""
    return callbacks.resend_lost()
