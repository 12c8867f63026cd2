"""Review in the Django admin: the tenant's queue only, overdue highlighted, approve, deny with a
reason (e-mailed), figures per tenant; outsiders (other tenant, member, support) see nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import DataSubjectRequest
from compliance.requests import file_request
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = "/admin/compliance/datasubjectrequest/"


@pytest.fixture
def queue(acme, globex):
    mine = [
        file_request(tenant=acme, kind=kind, regime=regime, email=f"{kind}@example.com", source="form", verified=True)
        for kind, regime in (("erasure", "gdpr"), ("access", "ccpa"), ("portability", "gdpr"))
    ]
    theirs = file_request(tenant=globex, kind="erasure", regime="gdpr", email="x@example.com", source="form", verified=True)
    DataSubjectRequest.objects.filter(pk=mine[1].pk).update(due_at=timezone.now() - timedelta(days=2))
    return mine, theirs


def admin_client(client, email, password):
    assert client.login(username=email, password=password)
    return client


def test_a_tenant_admin_sees_their_queue_with_overdue_highlighted_and_figures(client, alice, queue):
    mine, theirs = queue
    page = admin_client(client, "alice@acme.example", "alice-password-1").get(URL).content.decode()
    for request in mine:
        assert request.reference in page
    assert theirs.reference not in page
    assert "(overdue)" in page and 'id="metric-overdue">1<' in page
    assert "example.com" not in page  # no e-mail addresses on the list
    overdue = client.get(URL + "?deadline=overdue").content.decode()
    assert mine[1].reference in overdue and mine[0].reference not in overdue


def test_outsiders_see_nothing(client, charlie, bob, queue):
    mine, _ = queue
    page = admin_client(client, "charlie@globex.example", "charlie-password-1").get(URL).content.decode()
    assert mine[0].reference not in page
    assert client.get(f"{URL}{mine[0].pk}/change/").status_code == 404
    client.logout()
    bob.user.set_password("bob-password-1234")
    bob.user.save()
    client.login(username="bob@acme.example", password="bob-password-1234")
    assert client.get(URL).status_code == 302  # members are not staff


def test_approve_and_deny_from_the_admin(client, alice, queue, committed, outbox, django_capture_on_commit_callbacks):
    mine, theirs = queue
    admin_client(client, "alice@acme.example", "alice-password-1")
    with committed():
        client.post(URL, {"action": "deny", "_selected_action": [str(mine[2].pk)], "denial_reason": "no_match",
                          "reason_text": "No account under that address."})
    denied = DataSubjectRequest.objects.get(pk=mine[2].pk)
    assert denied.status == "denied" and denied.denial_reason == "no_match" and denied.reviewed_by_id == alice.user.pk
    assert outbox[-1].to == ["portability@example.com"] and "We hold no data about this person" in outbox[-1].body
    with committed():
        client.post(URL, {"action": "deny", "_selected_action": [str(mine[0].pk)], "denial_reason": ""})
    assert DataSubjectRequest.objects.get(pk=mine[0].pk).status == "open"  # no reason: refused
    with committed():
        client.post(URL, {"action": "approve", "_selected_action": [str(mine[1].pk), str(theirs.pk)]})
    assert DataSubjectRequest.objects.get(pk=mine[1].pk).status == "fulfilled"  # the export ran on commit
    assert DataSubjectRequest.objects.get(pk=theirs.pk).status == "open"  # another tenant's: not even selectable
    actions = set(AuditEvent.objects.filter(tenant=alice.tenant).values_list("action", flat=True))
    assert {"privacy_request.denied", "privacy_request.denial_reason", "privacy_request.in_progress",
            "privacy_request.fulfilled"} <= actions
    page = client.get(URL).content.decode()
    assert "We hold no data about this person" in page and 'id="metric-median">0.0<' in page
