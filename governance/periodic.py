"""When each periodic task (settings.CELERY_BEAT_SCHEDULE) last ran, against its schedule.

Beat (django-celery-beat's DatabaseScheduler) records each entry's last run in its PeriodicTask
row, writing it back at most every few minutes; an entry is overdue once a whole period (and at
least OVERDUE_GRACE, beat's write-back delay) has passed beyond when it was due. An entry that
never ran is not overdue: a new installation has run nothing yet.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

OVERDUE_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class PeriodicRun:
    name: str
    task: str
    every: timedelta
    last_run_at: datetime | None
    lag: timedelta | None  # how long past its due time (zero when not yet due); None: never ran
    overdue: bool


def periodic_runs(*, now: datetime | None = None) -> list[PeriodicRun]:
    from django_celery_beat.models import PeriodicTask

    now = now or timezone.now()
    last_runs = dict(
        PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).values_list("name", "last_run_at")
    )
    runs = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        every = entry["schedule"]
        last_run_at = last_runs.get(name)
        lag = None if last_run_at is None else max(now - last_run_at - every, timedelta(0))
        runs.append(
            PeriodicRun(
                name=name,
                task=entry["task"],
                every=every,
                last_run_at=last_run_at,
                lag=lag,
                overdue=lag is not None and lag > max(every, OVERDUE_GRACE),
            )
        )
    return runs
