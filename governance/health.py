"""What /health/ checks (django-health-check): liveness is the process answering; readiness is
every part a request or a task needs — the database, the cache, the broker, the object store, the
encryption key (the canary decrypts), and the periodic tasks running on schedule.

Check names and messages are fixed strings: no host name, key, bucket content or personal data.
"""

import dataclasses

from django.conf import settings
from django.db import DatabaseError, connections
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


def _closing_connections(run):
    """Sync checks run in a thread of the view's executor: close what they opened there."""

    def wrapper(self):
        try:
            return run(self)
        finally:
            connections.close_all()

    return wrapper


@dataclasses.dataclass
class EncryptionKey(HealthCheck):
    """FIELD_ENCRYPTION_KEY decrypts the canary written under the key the data was written with."""

    @_closing_connections
    def run(self):
        from governance.crypto import CANARY_VALUE
        from governance.models import KeyCanary

        try:
            canary = KeyCanary.objects.filter(pk=1).first()
        except DatabaseError as exc:
            raise ServiceUnavailable("the encryption canary cannot be read") from exc
        if canary is not None and canary.value != CANARY_VALUE:
            raise ServiceUnavailable("FIELD_ENCRYPTION_KEY cannot decrypt the stored data")


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker accepts a connection (tasks can be queued)."""

    def run(self):
        from config.celery import app

        if app.conf.task_always_eager:
            return  # the embedded default: tasks run in-process, there is no broker
        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=3)
        except Exception as exc:  # kombu raises the transport's own errors
            raise ServiceUnavailable("the broker refuses connections") from exc


@dataclasses.dataclass
class ObjectStore(HealthCheck):
    """The bucket (or the local object directory) is there and answers."""

    def run(self):
        from governance.storage import objectstore

        backend = objectstore.backend()
        if isinstance(backend, objectstore.S3Backend):
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                backend.client.head_bucket(Bucket=backend.bucket)
            except (BotoCoreError, ClientError) as exc:
                raise ServiceUnavailable("the bucket does not answer") from exc
        elif not settings.LOCAL_OBJECT_ROOT.is_dir() and settings.LOCAL_OBJECT_ROOT.exists():
            raise ServiceUnavailable("the local object store is not a directory")


@dataclasses.dataclass
class PeriodicTasks(HealthCheck):
    """Every periodic task ran within its schedule (governance.periodic says what overdue means)."""

    @_closing_connections
    def run(self):
        from governance.periodic import periodic_runs

        try:
            overdue = [run.name for run in periodic_runs() if run.overdue]
        except DatabaseError as exc:
            raise ServiceUnavailable("the schedule cannot be read") from exc
        if overdue:
            raise ServiceUnavailable("overdue: " + ", ".join(sorted(overdue)))


LIVENESS: tuple = ()
READINESS = (Database, Cache, Broker, ObjectStore, EncryptionKey, PeriodicTasks)


class LivenessView(HealthCheckView):
    checks = LIVENESS


class ReadinessView(HealthCheckView):
    checks = READINESS


class PeriodicView(HealthCheckView):
    """Beat's container health check: `manage.py health_check health-periodic --no-http`."""

    checks = (PeriodicTasks,)
