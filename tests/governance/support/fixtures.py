"""Helpers for the support-access suites (imported by the test modules that need them)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import AccessRequest, StoredObject
from governance.storage import objectstore
from governance.support import grants, workflow
from search import pipeline
from search.models import SearchJob
from tests.conftest import make_jpeg

SUPPORT_PASSWORD = "support-password-1"


def make_support(name: str, password: str | None = None):
    return grants.add_support_staff(email=f"{name}@support.sightguard.example", password=password)


@pytest.fixture
def sam(db):
    return make_support("sam")


def make_job(actor, *, context: str, description: str) -> SearchJob:
    """A finished job whose image is still stored (as when the tenant keeps cleaned images)."""
    job = pipeline.create_job(tenant=actor.tenant, user=actor.user, image_bytes=make_jpeg(), context=context)
    SearchJob.objects.filter(pk=job.pk).update(description=description, status=SearchJob.Status.DONE)
    job.refresh_from_db()
    return job


def make_archive(tenant, marker: bytes) -> StoredObject:
    return objectstore.put(
        purpose=StoredObject.Purpose.EXPORT_ARCHIVE,
        data=b"PK-ARCHIVE " + marker,
        content_type="application/zip",
        lifetime=timedelta(hours=1),
        tenant=tenant,
    )


def ask(requester, tenant, *, categories=(), objects=(), hours=4, ticket="SUP-1001") -> AccessRequest:
    return workflow.open_request(
        requester=requester,
        tenant=tenant,
        ticket=ticket,
        reason_code=AccessRequest.Reason.CUSTOMER_INITIATED_SUPPORT,
        reason_text="Customer reports a wrong description on a search.",
        hours=hours,
        categories=categories,
        objects=objects,
    )


def grant(requester, admin_actor, **kwargs) -> AccessRequest:
    hours = kwargs.pop("grant_hours", None)
    return workflow.approve(request=ask(requester, admin_actor.tenant, **kwargs), actor=admin_actor.user, hours=hours)


def end_grant(request: AccessRequest) -> None:
    """Let a grant's time run out (the clock moves; the beat task then closes it)."""
    AccessRequest.objects.filter(pk=request.pk).update(approved_until=timezone.now() - timedelta(seconds=1))
    workflow.expire_due()
