"""The periodic work (CELERY_BEAT_SCHEDULE): when each task last really ran, and how late it is.

Each run is recorded when the task ends (`record_run`, connected to Celery's task_postrun in
config/celery.py), wherever it ran: a worker, or beat's own process in the embedded default.
`periodic_runs` is the one read of it (admin, health, metrics).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from governance.models import PeriodicTaskRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicRun:
    name: str  # the schedule entry's name (settings, and django-celery-beat's PeriodicTask.name)
    task: str  # the Celery task's name
    every: timedelta
    last_run_at: datetime | None
    lag: timedelta | None  # how long past its next due time it is (zero when not yet due); None: never ran
    overdue: bool  # never ran, or a whole period late (a run missed, not merely waiting its turn)


def schedule() -> dict[str, tuple[str, timedelta]]:
    """Entry name → (task name, interval), as declared in settings."""
    return {name: (entry["task"], entry["schedule"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}


def periodic_runs(*, now: datetime | None = None) -> list[PeriodicRun]:
    now = now or timezone.now()
    last = dict(PeriodicTaskRun.objects.values_list("task", "last_run_at"))
    runs = []
    for name, (task, every) in schedule().items():
        at = last.get(task)
        lag = max(now - at - every, timedelta(0)) if at else None
        runs.append(PeriodicRun(name=name, task=task, every=every, last_run_at=at, lag=lag, overdue=lag is None or lag > every))
    return runs


def record_run(*, task: str, state: str, now: datetime | None = None) -> None:
    """Record that a periodic task ended (any other task is ignored). Never raises: a run that could
    not be recorded (the database is down) shows as late, which is what it looks like."""
    if task not in {t for t, _ in schedule().values()}:
        return
    now = now or timezone.now()
    try:
        if not PeriodicTaskRun.objects.filter(task=task).update(last_run_at=now, last_state=state, runs=F("runs") + 1):
            PeriodicTaskRun.objects.update_or_create(task=task, defaults={"last_run_at": now, "last_state": state, "runs": 1})
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.warning("could not record the run of %s (%s)", task, type(exc).__name__)


def run_now(*, name: str) -> None:
    """Queue one run of a periodic task now (the operator's "run now"); in the embedded default it runs here."""
    from config import celery_app

    task, _ = schedule()[name]
    celery_app.loader.import_default_modules()  # the web process imports task modules only on demand
    celery_app.tasks[task].delay()


class RecordedRunEntry(ModelEntry):
    """django-celery-beat counts the first period of an entry that has no last run from the row's
    last change, and beat rewrites every row each time it starts: a task whose interval is longer
    than beat's life (hourly retention, the daily deadlines and expiry of unverified requests) then
    never runs. Here an entry without a last run takes the last recorded real run, and one that
    never ran is due at once."""

    def __init__(self, model, app=None):
        if not model.last_run_at:
            recorded = PeriodicTaskRun.objects.filter(task=model.task).values_list("last_run_at", flat=True).first()
            model.last_run_at = recorded or NEVER
        super().__init__(model, app=app)


NEVER = datetime(2000, 1, 1, tzinfo=UTC)


class Scheduler(DatabaseScheduler):
    """CELERY_BEAT_SCHEDULER: django-celery-beat's DatabaseScheduler (the schedule shown and paused in
    the admin), with entries due by their last real run. Without REDIS_URL tasks are eager, so beat
    runs each due task in its own process: the embedded default's periodic work needs no broker."""

    Entry = RecordedRunEntry
