"""The periodic work declared in settings.CELERY_BEAT_SCHEDULE and when beat last ran each entry."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class PeriodicRun:
    name: str
    task: str
    every: timedelta
    last_run_at: datetime | None
    lag: timedelta | None
    overdue: bool


def _every(schedule) -> timedelta:
    if isinstance(schedule, timedelta):
        return schedule
    if isinstance(schedule, (int, float)):
        return timedelta(seconds=schedule)
    return getattr(schedule, "run_every", timedelta(0))


def periodic_runs(*, now: datetime | None = None) -> list[PeriodicRun]:
    """Each declared entry, its last run (django-celery-beat's record) and how late the next one is:
    `lag` is the time past the expected next run (zero when on time, None when it never ran);
    `overdue` when it is late by more than one interval, or never ran."""
    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    last = dict(PeriodicTask.objects.values_list("name", "last_run_at"))
    runs = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        every, last_run_at = _every(entry["schedule"]), last.get(name)
        lag = None if last_run_at is None else max(timedelta(0), now - last_run_at - every)
        overdue = last_run_at is None or lag > every
        runs.append(PeriodicRun(name=name, task=entry["task"], every=every, last_run_at=last_run_at, lag=lag, overdue=overdue))
    return runs
