"""Structured logs: one JSON object per line with request, task and tenant ids — and never the
personal data of a search or a data-subject request (planted markers)."""

import io
import json
import logging

import pytest
from rest_framework.test import APIClient

from compliance import review
from compliance.models import DataSubjectRequest
from governance.logs import JsonFormatter
from tests.compliance.conftest import file_via_api, searches, token_of, verify_link
from tests.conftest import make_jpeg

CONTEXT = "planted-context-marker-0815 a brass hinge"
FILE_NAME = "planted-file-name-0815.jpg"
MARKERS = ("planted", "0815", "brass hinge", "bob@acme.example", "acme.example")
pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """Everything every logger emits, down to DEBUG, through the production formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


def test_a_search_logs_one_json_event_per_line_with_its_ids_and_no_content(bob, json_log, django_capture_on_commit_callbacks):
    image = io.BytesIO(make_jpeg())
    image.name = FILE_NAME
    with django_capture_on_commit_callbacks(execute=True):
        response = bob.api.post(
            "/api/v1/search-jobs/", {"image": image, "context": CONTEXT}, format="multipart",
            HTTP_X_REQUEST_ID="req-test-0001",
        )
    assert response.status_code == 202 and response["X-Request-ID"] == "req-test-0001"
    job = bob.api.get(f"/api/v1/search-jobs/{response.json()['id']}/").json()
    assert job["status"] == "done" and job["description"]

    events = json_log()
    assert events, "nothing was logged"
    requests = [e for e in events if e["logger"] == "sightguard.request"]
    upload = next(e for e in requests if e["route"] == "search-job-list")
    assert upload["request_id"] == "req-test-0001" and upload["tenant_id"] == bob.tenant.pk
    assert upload["status"] == 202 and upload["method"] == "POST"
    tasks = [e for e in events if e["logger"] == "sightguard.task"]
    assert tasks and all(e["task_id"] and e["task"].startswith("search.") and e["state"] == "success" for e in tasks)
    text = json.dumps(events)
    for marker in (*MARKERS, job["description"]):
        assert marker not in text, marker


def test_a_data_subject_request_and_its_erasure_log_no_personal_data(alice, bob, json_log, django_capture_on_commit_callbacks):
    from django.core import mail

    searches(bob, jobs=2)  # contexts and descriptions to erase
    with django_capture_on_commit_callbacks(execute=True):
        reference = file_via_api(APIClient(), email=bob.user.email).json()["reference"]
    token = token_of(verify_link(mail.outbox[-1]))
    with django_capture_on_commit_callbacks(execute=True):
        assert APIClient().post(f"/api/v1/privacy-requests/verify/{token}/").status_code == 200
    request = DataSubjectRequest.objects.get(reference=reference)
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(request=request, actor=alice.user)
    request.refresh_from_db()
    assert request.status == DataSubjectRequest.Status.FULFILLED

    events = json_log()
    assert any(e["logger"] == "sightguard.task" and e["task"] == "compliance.run_erasure" for e in events)
    assert any(e["logger"] == "sightguard.request" and e["route"] == "privacy-request-file" for e in events)
    text = json.dumps(events)
    for marker in MARKERS:
        assert marker not in text, marker
