"""governance.support: who may ask, who decides, when grants end, and the one enforcement check."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from compliance.requests import file_request
from config import celery_app
from governance import tasks
from governance.crypto import blind_index
from governance.models import AccessRequest, AuditEvent, SupportStaff
from governance.support import grants, workflow
from tests.conftest import beat_interval
from tests.governance.support.fixtures import (  # noqa: F401
    ask,
    end_grant,
    grant,
    make_archive,
    make_job,
    make_support,
    sam,
)

pytestmark = pytest.mark.django_db


def refused(code, fn, *args, **kwargs):
    with pytest.raises(grants.SupportError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.code
    return caught.value


@pytest.fixture
def job(bob):
    return make_job(bob, context="CTX-falcon", description="DESC-falcon")


def test_only_support_staff_open_requests(alice, operator, acme):
    for outsider in (alice.user, operator):
        refused("not_support_staff", ask, outsider, acme, categories=["search_text"])
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize(
    "kwargs,code",
    [
        ({"hours": 9}, "invalid_duration"),
        ({"hours": 0}, "invalid_duration"),
        ({"ticket": "mail alice@acme.example"}, "invalid_ticket"),
        ({"ticket": ""}, "invalid_ticket"),
        ({"categories": ["everything"]}, "unknown_category"),
        ({"categories": ["images"]}, "unknown_category"),  # a name from before the one vocabulary
        ({"categories": ["usage_events"]}, "unknown_category"),  # a category, but it holds no content
        ({"categories": [], "objects": []}, "scope_empty"),
        ({"objects": [("governance.apikey", "1")]}, "unknown_object_type"),
    ],
)
def test_a_malformed_request_is_refused_and_leaves_nothing(sam, acme, kwargs, code):
    kwargs = {"categories": ["search_text"], **kwargs}
    refused(code, ask, sam, acme, **kwargs)
    assert not AccessRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="support.requested").exists()


def test_another_tenants_object_is_refused_like_a_missing_one(sam, acme, dave):
    foreign = make_job(dave, context="c", description="d")
    a = refused("scope_object_not_found", ask, sam, acme, objects=[foreign])
    b = refused("scope_object_not_found", ask, sam, acme, objects=[("search.searchjob", "00000000-0000-0000-0000-000000000000")])
    c = refused("scope_object_not_found", ask, sam, acme, objects=[("search.searchjob", "not-a-uuid")])
    assert a.detail == b.detail == c.detail


def test_a_request_is_audited_and_mailed_to_the_tenants_admins_only(sam, alice, charlie, job, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(sam, alice.tenant, objects=[job], hours=3, ticket="SUP-77")
    assert request.status == "pending" and request.hours_requested == 3
    assert request.scope_objects == [{"type": "search.searchjob", "id": str(job.pk)}]
    assert request.answer_by == request.created_at + timedelta(hours=12)
    event = AuditEvent.objects.get(action="support.requested")
    assert (event.tenant_id, event.actor, event.metadata["ticket"]) == (alice.tenant.pk, f"user:{sam.pk}", "SUP-77")
    assert "wrong description" not in repr(event.metadata)  # the free-text justification stays out of the log
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@acme.example"]
    assert "SUP-77" in mail.outbox[0].subject and f"/admin/governance/accessrequest/{request.pk}/change/" in mail.outbox[0].body


def test_the_operator_and_other_tenants_cannot_decide(sam, alice, charlie, operator, job):
    request = ask(sam, alice.tenant, objects=[job])
    refused("operator_cannot_decide", workflow.approve, request=request, actor=operator)
    refused("not_tenant_admin", workflow.approve, request=request, actor=charlie.user)
    refused("not_tenant_admin", workflow.deny, request=request, actor=charlie.user, comment="no")
    request.refresh_from_db()
    assert request.status == "pending"


def test_nobody_approves_their_own_request(alice, job):
    # Even an account that is both support staff and the tenant's admin.
    both = grants.add_support_staff(email="alice@acme.example")
    request = ask(both, alice.tenant, objects=[job])
    refused("own_request", workflow.approve, request=request, actor=both)
    assert AccessRequest.objects.get().status == "pending"


def test_an_approval_may_shorten_but_never_lengthen(sam, alice, job, django_capture_on_commit_callbacks):
    request = ask(sam, alice.tenant, objects=[job], hours=4)
    refused("invalid_duration", workflow.approve, request=request, actor=alice.user, hours=5)
    with django_capture_on_commit_callbacks(execute=True):
        approved = workflow.approve(request=request, actor=alice.user, hours=2, comment="ok for ticket")
    assert approved.status == "approved" and approved.hours_granted == 2
    assert abs((approved.approved_until - timezone.now()) - timedelta(hours=2)) < timedelta(seconds=5)
    assert mail.outbox[-1].to == ["sam@support.sightguard.example"]
    refused("request_not_pending", workflow.approve, request=request, actor=alice.user)
    refused("request_not_pending", workflow.deny, request=request, actor=alice.user, comment="late")


def test_a_denial_needs_a_comment_and_grants_nothing(sam, alice, job):
    request = ask(sam, alice.tenant, objects=[job])
    refused("comment_required", workflow.deny, request=request, actor=alice.user, comment=" ")
    workflow.deny(request=request, actor=alice.user, comment="not for this ticket")
    assert AccessRequest.objects.get().status == "denied"
    assert grants.can_see_content(user=sam, obj=job) is None


def test_an_unanswered_request_expires_after_12_hours(sam, alice, job):
    request = ask(sam, alice.tenant, objects=[job])
    assert workflow.expire_due(now=timezone.now() + timedelta(hours=11, minutes=59)) == 0
    AccessRequest.objects.filter(pk=request.pk).update(answer_by=timezone.now() - timedelta(seconds=1))
    refused("request_expired", workflow.approve, request=request, actor=alice.user)
    assert workflow.expire_due() == 1
    assert workflow.expire_due() == 0  # idempotent
    assert AccessRequest.objects.get().status == "expired"
    assert AuditEvent.objects.filter(action="support.expired", metadata__was="pending").count() == 1


def test_a_grant_ends_on_time_even_before_the_beat_task_runs(sam, alice, job):
    request = grant(sam, alice, objects=[job], hours=2, grant_hours=1)
    assert grants.can_see_content(user=sam, obj=job).grant.pk == request.pk
    later = timezone.now() + timedelta(hours=1, seconds=1)
    assert grants.can_see_content(user=sam, obj=job, now=later) is None
    end_grant(request)
    assert AccessRequest.objects.get().status == "expired"
    assert grants.can_see_content(user=sam, obj=job) is None


def test_the_tenant_admin_revokes_a_live_grant(sam, alice, charlie, job):
    request = grant(sam, alice, objects=[job])
    refused("not_tenant_admin", workflow.revoke, request=request, actor=charlie.user)
    workflow.revoke(request=request, actor=alice.user, comment="ticket closed")
    assert grants.can_see_content(user=sam, obj=job) is None
    assert AccessRequest.objects.get().status == "revoked"
    refused("grant_not_live", workflow.revoke, request=request, actor=alice.user)


def test_scope_is_exact_named_objects_and_categories_stay_in_their_tenant(sam, alice, bob, dave, charlie):
    named, other = make_job(bob, context="a", description="b"), make_job(bob, context="c", description="d")
    foreign = make_job(dave, context="e", description="f")
    grant(sam, alice, objects=[named])
    assert grants.can_see_content(user=sam, obj=named)
    assert grants.can_see_content(user=sam, obj=other) is None
    assert grants.can_see_content(user=sam, obj=named.image) is None  # the image is its own category
    assert grants.can_see_content(user=sam, obj=named, category="transient_images")  # ...but the named job's image field is in
    grant(make_support("sue"), alice, categories=["search_text"], ticket="SUP-2")
    sue = SupportStaff.objects.get(user__email_index=blind_index("sue@support.sightguard.example")).user
    assert grants.can_see_content(user=sue, obj=other) and grants.can_see_content(user=sue, obj=named)
    assert grants.can_see_content(user=sue, obj=foreign) is None
    assert grants.can_see_content(user=sue, obj=named.image) is None


def test_categories_cover_archives_and_privacy_requests(sam, alice, acme):
    archive = make_archive(acme, b"x")
    dsr = file_request(tenant=acme, kind="access", regime="gdpr", email="subject@example.org", source="form")
    grant(sam, alice, categories=["export_archives"])
    assert grants.can_see_content(user=sam, obj=archive)
    assert grants.can_see_content(user=sam, obj=dsr) is None
    grant(sam, alice, categories=["privacy_requests"], ticket="SUP-3")
    assert grants.can_see_content(user=sam, obj=dsr)


def test_a_deactivated_support_account_loses_its_grants(sam, alice, job):
    grant(sam, alice, objects=[job])
    SupportStaff.objects.filter(user=sam).update(active=False)
    assert grants.can_see_content(user=sam, obj=job) is None


def test_the_tenant_sees_its_own_content_the_operator_does_not(alice, bob, charlie, operator, job):
    assert grants.can_see_content(user=alice.user, obj=job) == grants.CUSTOMER
    assert grants.can_see_content(user=bob.user, obj=job) == grants.CUSTOMER
    assert grants.can_see_content(user=charlie.user, obj=job) is None
    assert grants.can_see_content(user=operator, obj=job) is None


def test_record_view_audits_grants_only_and_holds_no_personal_data(sam, alice, acme):
    dsr = file_request(tenant=acme, kind="access", regime="gdpr", email="subject@example.org", source="form")
    access = grants.can_see_content(user=sam, obj=dsr)
    assert grants.record_view(user=sam, obj=dsr, access=access, fields=["email"]) is None
    request = grant(sam, alice, objects=[dsr])
    access = grants.can_see_content(user=sam, obj=dsr)
    event = grants.record_view(user=sam, obj=dsr, access=access, fields=["email"])
    assert event.metadata == {"request": request.pk, "ticket": "SUP-1001", "reason_code": "customer_initiated_support", "fields": ["email"], "category": "privacy_requests"}
    assert (event.actor, event.tenant_id, event.target_id) == (f"user:{sam.pk}", acme.pk, str(dsr.pk))
    assert grants.record_view(user=alice.user, obj=dsr, access=grants.CUSTOMER, fields=["email"]) is None
    assert "subject@example.org" not in repr(list(AuditEvent.objects.values()))


def test_the_beat_schedule_expires_every_minute(sam, alice, job):
    assert beat_interval("governance.expire_support_requests") == timedelta(minutes=1)
    assert "governance.expire_support_requests" in celery_app.tasks
    request = grant(sam, alice, objects=[job])
    AccessRequest.objects.filter(pk=request.pk).update(approved_until=timezone.now() - timedelta(seconds=1))
    tasks.expire_support_requests.delay()
    assert AccessRequest.objects.get().status == "expired"


def test_the_operator_cannot_become_support(operator):
    refused("operator_cannot_be_support", grants.add_support_staff, email="ops@sightguard.example")


def test_the_command_adds_support_staff(db):
    from django.core.management import call_command

    call_command("add_support_staff", "--email", "sue@support.sightguard.example")
    user = SupportStaff.objects.get().user
    assert user.is_staff and not user.is_superuser and not user.memberships.exists()
    assert grants.is_support(user)


def test_access_requests_are_in_the_data_map():
    from governance.datamap import ANONYMISE, DATA_MAP

    (entry,) = DATA_MAP.for_model(AccessRequest)
    assert entry.category == "support_access" and entry.retention.timestamp == "ended_at"
    assert entry.erasure == ANONYMISE and set(entry.anonymise) == {"reason_text", "decision_comment"}


def test_api_serializers_ask_the_same_check(sam, alice, bob, charlie, job):
    from types import SimpleNamespace

    from search.serializers import SearchJobSerializer

    def as_user(user):
        return SearchJobSerializer(job, context={"request": SimpleNamespace(user=user)}).data["description"]

    assert as_user(bob.user) == "DESC-falcon"
    assert as_user(charlie.user) is None and as_user(sam) is None
    assert SearchJobSerializer(job).data["description"] is None  # no request: no content
    grant(sam, alice, objects=[job])
    assert as_user(sam) == "DESC-falcon"
    assert AuditEvent.objects.filter(action="support.content_viewed", target_id=str(job.pk)).count() == 1
