"""The beat schedule: declared in settings, written into django-celery-beat's tables when beat starts
(where the admin shows it), and run in beat's own process in the embedded default."""

from datetime import timedelta

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config import celery_app
from governance.models import PeriodicTaskRun, SweepRun
from governance.periodic import Scheduler

# The scheduler commits and closes connections as beat does, so these tests use real transactions
# (and put back, at their start, the rows data migrations ship: a flush removes them).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EVERY = {
    "governance.sweep_objects": timedelta(minutes=1),
    "governance.expire_support_requests": timedelta(minutes=1),
    "governance.enforce_retention": timedelta(hours=1),
    "compliance.check_request_deadlines": timedelta(days=1),
    "compliance.resume_stalled_requests": timedelta(minutes=5),
    "compliance.resend_lost_callbacks": timedelta(minutes=5),
    "governance.seal_audit_logs": timedelta(seconds=10),
    "search.reconcile_jobs": timedelta(seconds=30),
}
SWEEP = "governance.sweep_objects"


def start_beat() -> Scheduler:
    """What `celery -A config beat` does at start: import the task modules, start the scheduler
    (CELERY_BEAT_SCHEDULER, the DatabaseScheduler)."""
    assert settings.CELERY_BEAT_SCHEDULER == "governance.periodic:Scheduler"
    celery_app.loader.import_default_modules()
    return Scheduler(app=celery_app)


def rows() -> dict[str, PeriodicTask]:
    return {row.task: row for row in PeriodicTask.objects.select_related("interval")}


def test_a_fresh_database_has_no_schedule_until_beat_starts():
    assert not PeriodicTask.objects.exists()  # no migration writes one


def test_starting_beat_writes_the_schedule_declared_in_settings():
    start_beat()
    found = rows()
    assert {task: row.interval.schedule.run_every for task, row in found.items()} == EVERY
    assert all(row.enabled for row in found.values())
    assert {row.name for row in found.values()} == set(settings.CELERY_BEAT_SCHEDULE)
    assert found[SWEEP].expire_seconds == 60  # a sweep that waited a minute gives way to the next


def test_a_restart_keeps_a_pause_made_in_the_admin_and_restores_the_declared_interval():
    start_beat()
    row = PeriodicTask.objects.get(task=SWEEP)
    row.enabled = False
    row.interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    row.save()
    scheduler = start_beat()
    row.refresh_from_db()
    assert not row.enabled and row.interval.schedule.run_every == timedelta(minutes=1)
    assert row.name not in scheduler.schedule
    assert PeriodicTask.objects.count() == len(EVERY)  # updated by name, never duplicated


def test_in_the_embedded_default_beat_runs_a_due_task_in_its_own_process():
    assert celery_app.conf.task_always_eager  # no broker: what settings choose without REDIS_URL
    scheduler = start_beat()
    entry = scheduler.schedule[PeriodicTask.objects.get(task=SWEEP).name]
    scheduler.apply_async(entry)
    assert SweepRun.objects.count() == 1
    assert PeriodicTask.objects.get(task=SWEEP).total_run_count == 1


def test_a_task_that_never_ran_is_due_when_beat_starts_and_one_that_ran_counts_from_its_last_run():
    """Without this an hourly or daily task never runs under a beat restarted more often than that."""
    from django.utils import timezone

    PeriodicTaskRun.objects.create(
        task="governance.enforce_retention", last_run_at=timezone.now() - timedelta(minutes=20), last_state="SUCCESS"
    )
    scheduler = start_beat()
    by_task = {entry.task: entry for entry in scheduler.schedule.values()}
    assert by_task["compliance.check_request_deadlines"].is_due().is_due  # daily, never ran: now
    retention = by_task["governance.enforce_retention"].is_due()
    assert not retention.is_due and 39 * 60 <= retention.next <= 40 * 60  # hourly, ran 20 minutes ago
