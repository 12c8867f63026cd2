"""Outages are told apart from other failures, retried after a capped, jittered backoff, and a task
that gives up says so through its gave_up hook."""

import pytest
from botocore.exceptions import EndpointConnectionError
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError

from governance import transient


def test_each_outage_has_its_stable_code():
    assert transient.error_code(OperationalError("connection refused")) == "database_unavailable"
    assert transient.error_code(EndpointConnectionError(endpoint_url="http://s3")) == "object_store_unavailable"
    assert transient.error_code(BrokerError("broker down")) == "broker_unavailable"
    assert transient.error_code(SoftTimeLimitExceeded()) == "time_limit_exceeded"
    assert transient.error_code(ValueError("poison")) == "internal_error"


def test_backoff_doubles_is_jittered_and_capped(settings):
    settings.TRANSIENT_RETRY_BASE_SECONDS, settings.TRANSIENT_RETRY_MAX_SECONDS = 1, 30
    for retries, base in ((0, 1), (1, 2), (3, 8), (10, 30)):
        delays = {transient.backoff(retries=retries) for _ in range(50)}
        assert all(base <= d <= base * 1.25 for d in delays) and len(delays) > 1


@pytest.mark.django_db
def test_a_search_job_whose_stage_breaks_every_time_ends_failed_with_a_code(bob):
    """A poison message: the job's data breaks the stage; the job ends instead of looping."""
    from search import tasks
    from search.models import SearchJob, UsageEvent
    from tests.search.test_search_jobs import upload

    assert upload(bob).status_code == 202
    job = SearchJob.objects.get()
    SearchJob.objects.filter(pk=job.pk).update(provider="no-such-provider")
    tasks.describe_job.apply(args=(str(job.pk),), kwargs={"claim": True})
    job.refresh_from_db()
    assert (job.status, job.error_code) == ("failed", "internal_error")
    assert UsageEvent.objects.count() == 1
