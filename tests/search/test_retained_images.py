"""Retained cleaned images: tenant opt-in only, own prefix, N days, one-hour links only."""

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from governance.models import AuditEvent, IssuedLink, LegalHold, StoredObject
from governance.storage import objectstore, sweeper
from search.models import SearchJob
from tests.search.test_search_jobs import upload

pytestmark = pytest.mark.django_db


def _run(actor, capture):
    with capture(execute=True):
        response = upload(actor, context="falcon")
    assert response.status_code == 202
    return SearchJob.objects.get(pk=response.json()["id"])


def _opt_in(tenant, days=7):
    tenant.retain_cleaned_images_days = days
    tenant.save()


def test_off_by_default_nothing_is_kept(bob, django_capture_on_commit_callbacks):
    assert bob.tenant.retain_cleaned_images_days == 0
    job = _run(bob, django_capture_on_commit_callbacks)
    assert job.status == "done" and job.retained_image_id is None
    assert not StoredObject.objects.filter(purpose=StoredObject.Purpose.RETAINED_IMAGE).exists()
    assert list(objectstore.backend().list_keys("")) == []
    response = bob.api.post(f"/api/v1/search-jobs/{job.pk}/retained-image-link/")
    assert (response.status_code, response.json()["code"]) == (404, "no_retained_image")


def test_opted_in_the_cleaned_image_is_kept_in_its_own_prefix_for_n_days(bob, django_capture_on_commit_callbacks):
    _opt_in(bob.tenant, days=7)
    job = _run(bob, django_capture_on_commit_callbacks)
    kept = StoredObject.objects.get(pk=job.retained_image_id)
    transient = StoredObject.objects.get(pk=job.image_id)
    assert transient.deleted_at is not None  # the transient one is gone as always
    assert kept.purpose == "retained_image" and kept.deleted_at is None
    assert kept.key.startswith(f"retained/images/{bob.tenant.pk}/")
    assert kept.subject_index == bob.user.email_index
    assert abs(kept.deadline - (kept.created_at + timedelta(days=7))) < timedelta(seconds=1)
    assert objectstore.read(kept)[:3] == b"\xff\xd8\xff"
    assert [k for k, _ in objectstore.backend().list_keys("")] == [kept.key]
    event = AuditEvent.objects.get(action="search_job.image_retained")
    assert event.metadata == {"days": 7, "object": str(kept.pk)} and event.tenant_id == bob.tenant.pk


def test_a_failed_search_keeps_nothing(bob):
    from search import pipeline

    _opt_in(bob.tenant)
    upload(bob)
    job = SearchJob.objects.get()
    pipeline.finish(job=job, status=SearchJob.Status.FAILED, error_code="provider_error")
    assert not StoredObject.objects.filter(purpose="retained_image").exists()


def test_the_kept_image_is_reachable_only_through_a_one_hour_link(bob, client, django_capture_on_commit_callbacks):
    _opt_in(bob.tenant)
    job = _run(bob, django_capture_on_commit_callbacks)
    before = timezone.now()
    response = bob.api.post(f"/api/v1/search-jobs/{job.pk}/retained-image-link/")
    assert response.status_code == 200, response.content
    body = response.json()
    path = urlparse(body["url"]).path
    assert path.startswith("/downloads/")
    expires = timezone.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert before + timedelta(minutes=59) < expires <= timezone.now() + timedelta(hours=1)
    link = IssuedLink.objects.get(object_id=job.retained_image_id, actor=f"user:{bob.user.pk}")
    assert link.expires_at == expires

    redirect = client.get(path)
    assert redirect.status_code == 302 and redirect["Cache-Control"] == "no-store"
    image = client.get(urlparse(redirect["Location"]).path)
    assert image.status_code == 200 and image.content == objectstore.read(StoredObject.objects.get(pk=job.retained_image_id))
    assert AuditEvent.objects.filter(action="object.download_link_issued").count() == 1
    assert AuditEvent.objects.filter(action="object.link_issued").count() == 1


def test_outsiders_get_no_link(bob, alice, dave, django_capture_on_commit_callbacks):
    _opt_in(bob.tenant)
    job = _run(bob, django_capture_on_commit_callbacks)
    for outsider in (alice, dave):  # the tenant's admin who did not run it; another tenant
        response = outsider.api.post(f"/api/v1/search-jobs/{job.pk}/retained-image-link/")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert not IssuedLink.objects.exists()


def test_the_sweeper_deletes_it_after_n_days_unless_held(bob, alice, django_capture_on_commit_callbacks):
    _opt_in(bob.tenant, days=2)
    first = _run(bob, django_capture_on_commit_callbacks)
    second = _run(bob, django_capture_on_commit_callbacks)
    LegalHold.objects.create(
        tenant=bob.tenant, scope="object", object_type="governance.storedobject", object_id=str(second.retained_image_id),
        reason="litigation", created_by=alice.user,
    )
    assert sweeper.sweep(now=timezone.now() + timedelta(days=1)).expired_deleted == 0
    run = sweeper.sweep(now=timezone.now() + timedelta(days=2, minutes=1))
    assert (run.expired_deleted, run.held_skipped) == (1, 1)
    assert StoredObject.objects.get(pk=first.retained_image_id).deleted_reason == "deadline"
    assert StoredObject.objects.get(pk=second.retained_image_id).deleted_at is None
    response = bob.api.post(f"/api/v1/search-jobs/{first.pk}/retained-image-link/")
    assert response.json()["code"] == "no_retained_image"
