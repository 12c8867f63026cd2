"""Thin Celery tasks of compliance: take ids, call one domain function. Idempotent, acks_late.

Every task has an explicit name, `compliance.<verb_noun>`: the beat schedule (settings) and the
PeriodicTask rows refer to it, so it must not change when a module moves."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import deadlines, erasure, export, intake
from .models import DataSubjectRequest

# The protocol endpoints keep their tasks next to them; importing them here registers them wherever
# Celery autodiscovers `compliance.tasks` (a worker or beat at start), not only in a process that
# happened to queue one.
from .protocols.tasks import deliver_callback, resend_lost_callbacks  # noqa: F401


@shared_task(name="compliance.run_export", acks_late=True, soft_time_limit=3300, time_limit=3500)
def run_export(request_id: str) -> bool:
    return export.run(request_id=request_id)


@shared_task(name="compliance.reissue_export", acks_late=True, soft_time_limit=3300, time_limit=3500)
def reissue_export(request_id: str) -> bool:
    return export.reissue(request_id=request_id)


@shared_task(name="compliance.run_erasure", acks_late=True, soft_time_limit=3300, time_limit=3500)
def run_erasure(request_id: str) -> bool:
    return erasure.run(request_id=request_id)


@shared_task(name="compliance.resume_stalled_requests", acks_late=True)
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


@shared_task(name="compliance.check_request_deadlines", acks_late=True)
def check_request_deadlines() -> dict:
    """Daily (beat): unverified requests expire; due-soon and overdue counts are logged per tenant."""
    expired = intake.expire_unverified()
    open_requests = deadlines.open_requests(DataSubjectRequest.objects.all())
    return {
        "expired": expired,
        "overdue": deadlines.overdue(open_requests).count(),
        "due_soon": deadlines.due_soon(open_requests).count(),
    }
