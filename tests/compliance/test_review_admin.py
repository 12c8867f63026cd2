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


def decide(request):
    return f"{URL}{request.pk}/decide/"


def test_approve_and_deny_on_the_request_page(client, alice, queue, committed, outbox, django_capture_on_commit_callbacks):
    mine, theirs = queue
    admin_client(client, "alice@acme.example", "alice-password-1")
    page = client.get(f"{URL}{mine[2].pk}/change/").content.decode()
    assert 'id="approve-button"' in page and 'id="deny-form"' in page and 'id="extend-form"' in page
    assert 'name="denial_reason"' not in client.get(URL).content.decode()  # the reason is on the page, not the list
    with committed():
        client.post(decide(mine[2]), {"decision": "deny", "denial_reason": "no_match",
                                      "reason_text": "No account under that address."})
    denied = DataSubjectRequest.objects.get(pk=mine[2].pk)
    assert denied.status == "denied" and denied.denial_reason == "no_match" and denied.reviewed_by_id == alice.user.pk
    assert outbox[-1].to == ["portability@example.com"] and "We hold no data about this person" in outbox[-1].body
    with committed():
        client.post(decide(mine[0]), {"decision": "deny", "denial_reason": ""})
    assert DataSubjectRequest.objects.get(pk=mine[0].pk).status == "open"  # no reason: refused
    # Approve first shows what the export will touch; nothing runs until confirmed.
    preview = client.get(decide(mine[1]) + "?decision=approve").content.decode()
    assert 'id="confirm-approve"' in preview and "Export now" in preview
    client.post(decide(mine[1]), {"decision": "approve"})
    assert DataSubjectRequest.objects.get(pk=mine[1].pk).status == "open"
    with committed():
        client.post(decide(mine[1]), {"decision": "approve", "confirmed": "yes"})
    assert DataSubjectRequest.objects.get(pk=mine[1].pk).status == "fulfilled"  # the export ran on commit
    assert client.post(decide(theirs), {"decision": "approve", "confirmed": "yes"}).status_code == 404
    assert DataSubjectRequest.objects.get(pk=theirs.pk).status == "open"
    actions = set(AuditEvent.objects.filter(tenant=alice.tenant).values_list("action", flat=True))
    assert {"privacy_request.denied", "privacy_request.denial_reason", "privacy_request.in_progress",
            "privacy_request.fulfilled"} <= actions
    page = client.get(URL).content.decode()
    assert "We hold no data about this person" in page and 'id="metric-median">0.0<' in page


def test_extend_on_the_request_page(client, alice, queue, committed, outbox, django_capture_on_commit_callbacks):
    mine, _ = queue
    admin_client(client, "alice@acme.example", "alice-password-1")
    due = mine[0].due_at
    with committed():
        client.post(decide(mine[0]), {"decision": "extend", "extension_reason": "Large archive to gather."})
    extended = DataSubjectRequest.objects.get(pk=mine[0].pk)
    assert extended.extended_at is not None and extended.due_at > due


def test_bulk_approval_goes_through_a_page_listing_the_requests(client, alice, queue, committed,
                                                                  django_capture_on_commit_callbacks):
    mine, theirs = queue
    admin_client(client, "alice@acme.example", "alice-password-1")
    chosen = [str(mine[0].pk), str(mine[1].pk), str(theirs.pk)]
    page = client.post(URL, {"action": "approve", "_selected_action": chosen}).content.decode()
    assert mine[0].reference in page and mine[1].reference in page and theirs.reference not in page
    assert 'id="confirm-approve-many"' in page
    assert set(DataSubjectRequest.objects.filter(pk__in=[mine[0].pk, mine[1].pk]).values_list("status", flat=True)) == {"open"}
    with committed():
        client.post(URL, {"action": "approve", "_selected_action": chosen, "confirmed": "yes"})
    statuses = DataSubjectRequest.objects.filter(pk__in=[mine[0].pk, mine[1].pk]).values_list("status", flat=True)
    assert set(statuses) <= {"in_progress", "fulfilled"}
    assert DataSubjectRequest.objects.get(pk=theirs.pk).status == "open"
