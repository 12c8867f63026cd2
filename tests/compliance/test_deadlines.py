"""Deadlines from receipt per regime; one extension with a reason, e-mailed; due-soon and overdue."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from compliance import deadlines, review
from compliance.models import DataSubjectRequest
from compliance.requests import file_request
from governance.errors import SightguardError
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "received, due",
    [(at(2026, 1, 15, 9), at(2026, 2, 15, 9)), (at(2026, 1, 31, 9), at(2026, 2, 28, 9)), (at(2026, 12, 31), at(2027, 1, 31))],
)
def test_gdpr_gives_one_calendar_month(received, due):
    assert deadlines.reply_due(regime="gdpr", received_at=received) == due
    assert deadlines.acknowledgement_due(regime="gdpr", received_at=received) is None


def test_ccpa_gives_45_days_and_10_business_days_to_confirm_receipt():
    friday = at(2026, 11, 20, 12)
    assert deadlines.reply_due(regime="ccpa", received_at=friday) == friday + timedelta(days=45)
    assert deadlines.acknowledgement_due(regime="ccpa", received_at=friday) == at(2026, 12, 4, 12)  # two working weeks


def test_extensions_are_two_months_for_gdpr_and_45_days_for_ccpa():
    due = at(2026, 2, 15)
    assert deadlines.extended_due(regime="gdpr", due_at=due) == at(2026, 4, 15)
    assert deadlines.extended_due(regime="ccpa", due_at=due) == due + timedelta(days=45)


def test_an_admin_extends_once_with_a_reason_that_is_mailed(alice, charlie, committed, outbox):
    request = file_request(tenant=alice.tenant, kind="access", regime="gdpr", email="erin@example.com", source="api", verified=True)
    before = request.due_at
    with pytest.raises(SightguardError) as no_reason:
        review.extend(request=request, actor=alice.user, reason="  ")
    assert no_reason.value.code == "extension_reason_required"
    with pytest.raises(SightguardError) as outsider:
        review.extend(request=request, actor=charlie.user, reason="busy")
    assert outsider.value.code == "not_allowed"
    with committed():
        review.extend(request=request, actor=alice.user, reason="Your data spans several archived systems.")
    assert request.due_at == deadlines.add_months(before, 2) and request.extended_at
    assert outbox[-1].to == ["erin@example.com"] and "several archived systems" in outbox[-1].body
    event = AuditEvent.objects.get(action="privacy_request.extended")
    assert "archived" not in str(event.metadata)
    with pytest.raises(SightguardError) as twice:
        review.extend(request=request, actor=alice.user, reason="again")
    assert twice.value.code == "already_extended"


def test_a_passed_deadline_can_no_longer_be_extended(alice):
    request = file_request(tenant=alice.tenant, kind="access", regime="ccpa", email="erin@example.com", source="api", verified=True)
    DataSubjectRequest.objects.filter(pk=request.pk).update(due_at=timezone.now() - timedelta(days=1))
    request.refresh_from_db()
    with pytest.raises(SightguardError) as late:
        review.extend(request=request, actor=alice.user, reason="busy")
    assert late.value.code == "extension_too_late"


def test_due_soon_and_overdue_lists(alice):
    now = timezone.now()
    make = lambda days: file_request(  # noqa: E731
        tenant=alice.tenant, kind="access", regime="gdpr", email="e@example.com", source="api", verified=True
    )
    late, soon, _not_due = make(0), make(0), make(0)
    DataSubjectRequest.objects.filter(pk=late.pk).update(due_at=now - timedelta(days=1))
    DataSubjectRequest.objects.filter(pk=soon.pk).update(due_at=now + timedelta(days=3))
    all_requests = DataSubjectRequest.objects.all()
    assert list(deadlines.overdue(all_requests)) == [late]
    assert list(deadlines.due_soon(all_requests)) == [soon]
    DataSubjectRequest.objects.filter(pk=late.pk).update(status="fulfilled")
    assert not deadlines.overdue(all_requests).exists()
