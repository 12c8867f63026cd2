"""Periodic work: each run is recorded where it really ran, and the operator sees its lag and can
run one now."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from governance.models import SweepRun
from governance.periodic import periodic_runs

pytestmark = pytest.mark.django_db
PAGE = "/admin/governance/periodictaskrun/"
SWEEP = "sweep transient objects and expired links"


def by_name(now=None):
    return {run.name: run for run in periodic_runs(now=now)}


def test_every_scheduled_task_is_listed_and_one_that_never_ran_is_overdue():
    runs = by_name()
    assert set(runs) == set(settings.CELERY_BEAT_SCHEDULE)
    assert all(r.last_run_at is None and r.lag is None and r.overdue for r in runs.values())
    assert runs[SWEEP].every == timedelta(minutes=1) and runs[SWEEP].task == "governance.sweep_objects"


def test_a_run_is_recorded_when_the_task_runs_and_its_lag_grows_from_its_next_due_time():
    from governance.tasks import sweep_objects

    sweep_objects.delay()  # eager: runs here, as in beat's embedded process
    ran = by_name()[SWEEP]
    assert ran.last_run_at is not None and ran.lag == timedelta(0) and not ran.overdue
    assert not by_name()["enforce retention rules"].last_run_at  # another task: not touched

    waiting = by_name(now=ran.last_run_at + timedelta(seconds=90))[SWEEP]
    assert (waiting.lag, waiting.overdue) == (timedelta(seconds=30), False)
    missed = by_name(now=ran.last_run_at + timedelta(minutes=3))[SWEEP]
    assert (missed.lag, missed.overdue) == (timedelta(minutes=2), True)


def test_the_operator_sees_last_runs_and_lag_and_runs_a_task_now(client, operator):
    client.force_login(operator)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert page.content.decode().count("Run now") == len(settings.CELERY_BEAT_SCHEDULE)
    assert "never" in page.content.decode()

    response = client.post(PAGE, {"run": SWEEP})
    assert response.status_code == 302
    assert SweepRun.objects.count() == 1  # ran (in-process here: the embedded default)
    assert by_name()[SWEEP].last_run_at > timezone.now() - timedelta(minutes=1)
    assert client.post(PAGE, {"run": "not a schedule entry"}).status_code == 403


def test_nobody_but_the_operator_sees_or_runs_periodic_tasks(client, alice):
    client.force_login(alice.user)  # a tenant admin
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"run": SWEEP}).status_code == 403
    assert SweepRun.objects.count() == 0
