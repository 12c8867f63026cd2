"""What a data subject meets on the public pages: rate limits that say when to try again and count
filing apart from following a request; a status page with the reason, the link's expiry, the next step."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from compliance import review
from compliance.models import DataSubjectRequest, DenialReason
from compliance.requests import file_request, set_status
from governance.models import IssuedLink, StoredObject
from governance.storage import objectstore

EMAIL = "erin@example.com"
pytestmark = pytest.mark.django_db


@pytest.fixture
def rate(settings):
    def set_rate(value):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"public": value}}
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    yield set_rate
    SimpleRateThrottle.THROTTLE_RATES = {"public": "30/hour"}


def post_form(client, address, **values):
    return client.post("/privacy/acme/", values or {"email": "nope"}, REMOTE_ADDR=address)


def test_a_throttled_form_says_when_to_try_again_in_words_and_in_retry_after(acme, rate):
    rate("2/hour")
    client = Client()
    codes = [post_form(client, "192.0.2.10").status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    refused = post_form(client, "192.0.2.10")
    assert 3500 <= int(refused["Retry-After"]) <= 3600
    text = refused.content.decode()
    assert re.search(r"Try again in 60 minutes \(after \d\d:\d\d UTC\)", text), text
    assert post_form(client, "192.0.2.11").status_code == 400  # another client is not locked out


def test_clients_in_one_ipv6_64_share_a_count_and_another_network_does_not(acme, rate):
    rate("1/hour")
    client = Client()
    assert post_form(client, "2001:db8:5:6::1").status_code == 400
    assert post_form(client, "2001:db8:5:6::2").status_code == 429
    assert post_form(client, "2001:db8:5:7::1").status_code == 400


def test_following_a_request_is_counted_apart_from_filing(acme, rate, outbox):
    rate("1/hour")
    request = file_request(tenant=acme, kind="access", regime="gdpr", email=EMAIL, source="form", verified=True)
    set_status(request=request, status=DataSubjectRequest.Status.FULFILLED, actor="system")
    client = Client()
    assert post_form(client, "192.0.2.20").status_code == 400  # filing used up
    status_url = f"/privacy/acme/status/{request.reference}/"
    assert client.post(status_url, REMOTE_ADDR="192.0.2.20").status_code == 200  # the re-issue still works
    refused = client.post(status_url, REMOTE_ADDR="192.0.2.20")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert b"Try again in" in refused.content


def test_the_api_says_when_to_try_again(acme, rate, outbox):
    from rest_framework.test import APIClient

    rate("1/hour")
    api = APIClient()
    body = {"tenant": "acme", "kind": "access", "regime": "gdpr", "email": "bad"}
    api.post("/api/v1/privacy-requests/", body, format="json", REMOTE_ADDR="192.0.2.30")
    refused = api.post("/api/v1/privacy-requests/", body, format="json", REMOTE_ADDR="192.0.2.30")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "throttled" and "Try again in" in refused.json()["detail"]


def status_page(request) -> str:
    return Client().get(f"/privacy/{request.tenant.slug}/status/{request.reference}/").content.decode()


def test_a_denied_request_shows_its_reason_and_the_right_to_complain_but_not_the_free_text(acme, alice, outbox):
    request = file_request(tenant=acme, kind="erasure", regime="gdpr", email=EMAIL, source="form", verified=True)
    review.deny(request=request, actor=alice.user, reason=DenialReason.NO_MATCH, text="private note about erin")
    page = status_page(request)
    assert 'data-status="denied"' in page
    assert "We hold no data about this person" in page and "complain" in page
    assert "private note" not in page and EMAIL not in page


def test_a_fulfilled_export_shows_when_its_link_was_sent_and_when_it_expires(acme, outbox):
    request = file_request(tenant=acme, kind="access", regime="gdpr", email=EMAIL, source="form", verified=True)
    archive = objectstore.put(purpose=StoredObject.Purpose.EXPORT_ARCHIVE, data=b"zip", content_type="application/zip",
                              lifetime=timedelta(hours=1), tenant=acme, subject_index=request.subject_index)
    link = objectstore.issue_download(archive, actor=request)
    set_status(request=request, status=DataSubjectRequest.Status.FULFILLED, actor="system", archive=archive)
    expires = IssuedLink.objects.filter(object=archive).latest("created_at").expires_at
    page = status_page(request)
    assert f"works until {expires:%-d %B %Y, %H:%M} UTC" in page
    assert 'data-expired="false"' in page and "index.html" in page
    assert link.url not in page  # the link itself goes only to the verified address
    IssuedLink.objects.filter(object=archive).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = status_page(request)
    assert 'data-expired="true"' in page and "Ask for a new one" in page and 'id="reissue"' in page


def test_each_state_says_what_happens_next(acme, outbox):
    request = file_request(tenant=acme, kind="access", regime="ccpa", email=EMAIL, source="form")
    assert "open the link we sent you" in status_page(request)
    set_status(request=request, status=DataSubjectRequest.Status.OPEN, actor="subject")
    assert f"answers by {request.due_at:%d %B %Y}" in status_page(request)
    set_status(request=request, status=DataSubjectRequest.Status.IN_PROGRESS, actor="system")
    assert "Your archive is being prepared" in status_page(request)
