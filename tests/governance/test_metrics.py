"""/metrics: only for the scraper, Prometheus' format, figures that follow the work, no personal data."""

import io
import os

import pytest
from prometheus_client.parser import text_string_to_metric_families

from governance import metrics
from tests.conftest import make_jpeg

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture(autouse=True)
def _token(settings, monkeypatch):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []
    # Test processes running side by side share one Redis: each counts under its own keys.
    monkeypatch.setattr(metrics, "KEY_PREFIX", f"{metrics.KEY_PREFIX}{os.environ.get('PYTEST_XDIST_WORKER', 'main')}:")


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_only_the_scraper_gets_the_metrics(client, settings, db):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404  # no token: no bearer access
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200  # the test client's REMOTE_ADDR is 127.0.0.1
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 404


def test_a_search_shows_in_requests_tasks_provider_calls_and_jobs(client, alice, django_capture_on_commit_callbacks):
    before = scrape(client)
    image = io.BytesIO(make_jpeg())
    image.name = "planted-file-name-4711.jpg"
    marker = "planted-context-marker-4711 jane.doe@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        response = alice.api.post("/api/v1/search-jobs/", {"image": image, "context": marker}, format="multipart")
    assert response.status_code == 202, response.content
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("sightguard_http_request_duration_seconds_count", method="POST", route="search-job-list", status="202") == 1
    assert delta("sightguard_provider_call_duration_seconds_count", provider="offline", outcome="ok") == 1
    assert sum(delta("sightguard_task_duration_seconds_count", task=t, state="success")
               for t in ("search.describe_job", "search.prepare_job")) >= 1
    assert delta("sightguard_search_jobs", status="done") == 1
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    for planted in ("planted-context-marker-4711", "planted-file-name", "jane.doe", "alice@acme.example", "acme"):
        assert planted not in text
    label_values = {v for _, labels in after for _, v in labels}
    assert not label_values & {str(alice.tenant.pk), str(alice.user.pk), response.json()["id"]}


def test_the_deadline_and_store_gauges_are_exposed(client, db):
    samples = scrape(client)
    assert ("sightguard_data_subject_requests_open", (("deadline", "overdue"),)) in samples
    assert ("sightguard_data_subject_requests_open", (("deadline", "due_soon"),)) in samples
    assert ("sightguard_periodic_task_period_seconds", (("task", "governance.sweep_objects"),)) in samples
    assert value(samples, "sightguard_periodic_task_period_seconds", task="governance.enforce_retention") == 3600


def test_a_metrics_store_that_does_not_answer_never_fails_the_work(settings, caplog):
    from tests.e2e.conftest import free_port

    settings.CACHE_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens
    metrics._redis.cache_clear()
    metrics.observe("task_duration_seconds", ("search.describe_job", "success"), 0.2)
    assert "metrics: could not count task_duration_seconds (ConnectionError)" in caplog.text
