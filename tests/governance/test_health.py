"""/health/: readiness answers 200 only while every dependency works, and names the one that does not."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from config import celery_app
from governance import periodic
from governance.crypto import check_encryption_key
from governance.models import KeyCanary, PeriodicTaskRun
from tests.e2e.conftest import free_port


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """The checks run in other threads, on their own connections: the rows must be committed.
    Every periodic task has just run, as beat makes sure on a live system."""
    for task, _ in periodic.schedule().values():
        periodic.record_run(task=task, state="SUCCESS")


def health(client, path="/health/"):
    response = client.get(path, HTTP_ACCEPT="application/json")
    return response.status_code, response.json()


def failing(body: dict) -> dict:
    return {check: state for check, state in body.items() if state != "OK"}


def test_readiness_is_green_with_every_dependency_working(client, s3_bucket):
    check_encryption_key()
    status, body = health(client)
    assert status == 200, body
    assert {name.split("(")[0] for name in body} == {
        "Database", "Cache", "Broker", "ObjectStore", "EncryptionKey", "PeriodicTasks"
    }


def test_liveness_needs_nothing_but_the_process(client):
    assert health(client, "/health/live/") == (200, {})


def test_a_wrong_encryption_key_fails_readiness(client):
    check_encryption_key()
    foreign = Fernet(Fernet.generate_key()).encrypt(b"sightguard-encryption-canary-v1").decode()
    KeyCanary.objects.filter(pk=1).update(value=foreign)
    status, body = health(client)
    assert status == 500
    assert failing(body) == {"EncryptionKey()": "Unavailable: FIELD_ENCRYPTION_KEY cannot decrypt the stored data"}


def test_a_missing_bucket_fails_readiness(client, s3_bucket, settings):
    settings.S3_BUCKET = "sg-test-no-such-bucket"
    from governance.storage import objectstore

    objectstore._backend_for.cache_clear()
    status, body = health(client)
    assert status == 500 and failing(body) == {"ObjectStore()": "Unavailable: the bucket does not answer"}


def test_a_broker_that_refuses_connections_fails_readiness(client):
    eager, previous = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    try:
        status, body = health(client)
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = previous, eager
    assert status == 500 and failing(body) == {"Broker()": "Unavailable: the broker refuses connections"}


def test_a_periodic_task_that_stopped_running_fails_readiness_and_beats_check(client):
    ran = PeriodicTaskRun.objects.filter(task="governance.enforce_retention")  # hourly
    ran.update(last_run_at=timezone.now() - timedelta(minutes=50))
    assert health(client, "/health/periodic/")[0] == 200  # not due yet
    ran.update(last_run_at=timezone.now() - timedelta(hours=2, minutes=1))
    status, body = health(client)
    assert status == 500 and failing(body) == {"PeriodicTasks()": "Unavailable: overdue: enforce retention rules"}
    assert health(client, "/health/periodic/")[0] == 500
