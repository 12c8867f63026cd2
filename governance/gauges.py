"""Gauges of governance's own work for /metrics, read at scrape time: queue depth per queue,
periodic-task lag (the sweeper, retention, ...), the oldest stored object against its deadline,
and the age of the newest audit checkpoint."""

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric


def queue_depths() -> Iterable[Metric]:
    from config import celery_app

    if celery_app.conf.task_always_eager:
        return  # the embedded default has no broker
    from kombu.exceptions import ChannelError

    family = GaugeMetricFamily("sightguard_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"])
    queues = sorted({route["queue"] for route in settings.CELERY_TASK_ROUTES.values()} | {settings.CELERY_TASK_DEFAULT_QUEUE})
    with celery_app.connection_for_read() as connection:
        channel = connection.default_channel
        for queue in queues:
            try:
                depth = channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:  # an empty queue does not exist on Redis
                depth = 0
            family.add_metric([queue], depth)
    yield family


def periodic_lag() -> Iterable[Metric]:
    from governance.periodic import periodic_runs

    now = timezone.now()
    period = GaugeMetricFamily("sightguard_periodic_task_period_seconds", "How often each periodic task is scheduled.", labels=["task"])
    age = GaugeMetricFamily("sightguard_periodic_task_last_run_age_seconds", "Time since each periodic task last ran (absent: never).", labels=["task"])
    lag = GaugeMetricFamily("sightguard_periodic_task_lag_seconds", "How far past its due time each periodic task is (0: on time).", labels=["task"])
    overdue = GaugeMetricFamily("sightguard_periodic_task_overdue", "1 when a periodic task missed its schedule.", labels=["task"])
    for run in periodic_runs(now=now):
        period.add_metric([run.task], run.every.total_seconds())
        overdue.add_metric([run.task], int(run.overdue))
        if run.last_run_at is not None:
            age.add_metric([run.task], (now - run.last_run_at).total_seconds())
            lag.add_metric([run.task], run.lag.total_seconds())
    yield from (period, age, lag, overdue)


def stored_objects() -> Iterable[Metric]:
    from governance.models import StoredObject

    now = timezone.now()
    oldest = GaugeMetricFamily("sightguard_stored_object_oldest_age_seconds", "Age of the oldest object not yet deleted, by purpose.", labels=["purpose"])
    late = GaugeMetricFamily(
        "sightguard_stored_object_past_deadline_seconds",
        "How long the object with the earliest deadline is past it, by purpose (negative: time left).",
        labels=["purpose"],
    )
    rows = (
        StoredObject.objects.filter(deleted_at__isnull=True)
        .values("purpose")
        .annotate(oldest=Min("created_at"), earliest_deadline=Min("deadline"))
        .order_by("purpose")
    )
    for row in rows:
        oldest.add_metric([row["purpose"]], (now - row["oldest"]).total_seconds())
        late.add_metric([row["purpose"]], (now - row["earliest_deadline"]).total_seconds())
    yield from (oldest, late)


def audit_checkpoint_age() -> Iterable[Metric]:
    """How fresh the audit logs' signed checkpoints are, and how long the oldest event has waited
    for the sealer to give it a leaf (0: none waiting)."""
    from governance import audit
    from governance.models import AuditCheckpoint

    now = timezone.now()
    newest = AuditCheckpoint.objects.aggregate(at=Max("issued_at"))["at"]
    if newest is not None:
        yield GaugeMetricFamily(
            "sightguard_audit_checkpoint_age_seconds", "Age of the newest signed audit checkpoint.",
            value=(now - newest).total_seconds(),
        )
    yield GaugeMetricFamily(
        "sightguard_audit_unsealed_age_seconds", "How long the oldest audit event has waited for its leaf.",
        value=audit.unsealed_age(now=now) or 0.0,
    )


SOURCES = (queue_depths, periodic_lag, stored_objects, audit_checkpoint_age)
