"""Thin Celery tasks of compliance: take ids, call one domain function. Idempotent, acks_late.

Every task has an explicit name, `compliance.<verb_noun>`: the beat schedule (settings) and the
PeriodicTask rows refer to it, so it must not change when a module moves."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from governance.transient import RetriesOutages

from . import deadlines, erasure, export, intake
from .models import DataSubjectRequest

# The protocol endpoints keep their tasks next to them; importing them here registers them wherever
# Celery autodiscovers `compliance.tasks` (a worker or beat at start), not only in a process that
# happened to queue one.
from .protocols.tasks import deliver_callback, resend_lost_callbacks  # noqa: F401


class RequestWork(RetriesOutages):
    """Export and erasure: an outage is retried here; one that outlasts the retries is written on the
    request (error_code) and its lease ended, so the next resume_stalled_requests takes it again."""

    abstract = True
    soft_time_limit = settings.LONG_TASK_TIME_LIMIT - 200
    time_limit = settings.LONG_TASK_TIME_LIMIT

    def gave_up(self, *, error_code: str, args: tuple, kwargs: dict) -> None:
        request_id = args[0] if args else kwargs["request_id"]
        DataSubjectRequest.objects.filter(pk=request_id, status=DataSubjectRequest.Status.IN_PROGRESS).update(
            error_code=error_code, lease_until=timezone.now()
        )


@shared_task(name="compliance.run_export", base=RequestWork, acks_late=True)
def run_export(request_id: str) -> bool:
    return export.run(request_id=request_id)


@shared_task(name="compliance.reissue_export", base=RequestWork, acks_late=True)
def reissue_export(request_id: str) -> bool:
    return export.reissue(request_id=request_id)


@shared_task(name="compliance.run_erasure", base=RequestWork, acks_late=True)
def run_erasure(request_id: str) -> bool:
    return erasure.run(request_id=request_id)


@shared_task(name="compliance.resume_stalled_requests", base=RetriesOutages, acks_late=True)
def resume_stalled_requests() -> int:
    """Every few minutes (beat): requeue approved work whose worker died (no progress for its lease)."""
    now = timezone.now()
    stalled = DataSubjectRequest.objects.filter(status=DataSubjectRequest.Status.IN_PROGRESS).exclude(
        lease_until__gt=now
    ).filter(reviewed_at__lt=now - timedelta(minutes=1)).values_list("pk", "kind")
    count = 0
    for pk, kind in stalled:
        (run_erasure if kind == DataSubjectRequest.Kind.ERASURE else run_export).delay(str(pk))
        count += 1
    return count


@shared_task(name="compliance.check_request_deadlines", base=RetriesOutages, acks_late=True)
def check_request_deadlines() -> dict:
    """Daily (beat): unverified requests expire; due-soon and overdue counts are logged per tenant."""
    expired = intake.expire_unverified()
    open_requests = deadlines.open_requests(DataSubjectRequest.objects.all())
    return {
        "expired": expired,
        "overdue": deadlines.overdue(open_requests).count(),
        "due_soon": deadlines.due_soon(open_requests).count(),
    }
