"""Celery task for retention (its own module so other governance tasks merge cleanly; loaded in apps.ready)."""

from celery import shared_task

from governance.errors import SightguardError
from governance.retention import enforce


@shared_task(name="governance.enforce_retention", acks_late=True, soft_time_limit=3300, time_limit=3500)
def enforce_retention() -> int | None:
    """Hourly (Celery beat). Idempotent: a second delivery finds nothing more to do, or resumes the run."""
    try:
        report = enforce.enforce(actor="system:retention")
    except SightguardError as exc:
        if exc.code == "retention_run_in_progress":
            return None  # the previous hour's run is still going; it will finish the work
        raise
    return report.run.pk
