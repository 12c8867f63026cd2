import io

import pytest
from django.db import connection
from PIL import Image

from governance.models import AuditEvent, StoredObject
from governance.storage import objectstore
from search.models import SearchJob, UsageEvent
from tests.conftest import make_jpeg

pytestmark = pytest.mark.django_db


def upload(actor, data=None, **extra):
    image = io.BytesIO(data or make_jpeg())
    image.name = "holiday-photo-of-alice.jpg"
    return actor.api.post("/api/v1/search-jobs/", {"image": image, **extra}, format="multipart")


def test_it_runs_a_search_from_upload_to_deleted_image(bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(bob, context="a blue widget")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"

    job = bob.api.get(f"/api/v1/search-jobs/{response.json()['id']}/").json()
    assert job["status"] == "done"
    assert "blue" in job["description"]
    assert job["has_context"] is True
    assert job["finished_at"]

    stored = StoredObject.objects.get()
    assert stored.deleted_at is not None and stored.deleted_reason == "job_ended"
    assert not objectstore.backend().exists(stored.key)
    assert list(objectstore.backend().list_keys("tmp/")) == []


def test_it_counts_the_search_without_its_content(bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(bob, context="secret project falcon")
    event = UsageEvent.objects.get()
    assert (event.tenant_id, event.used_context, event.outcome, event.provider) == (bob.tenant.pk, True, "done", "offline")
    row = {f.name: getattr(event, f.name) for f in UsageEvent._meta.fields}
    assert "falcon" not in repr(row)


def test_the_stored_image_is_the_cleaned_one(bob, settings):
    exif = Image.Exif()
    exif[0x010F] = "MARKER-CAMERA-MAKE"
    upload(bob, make_jpeg(exif=exif))  # not committed: the job waits, its image is stored
    stored = StoredObject.objects.get()
    data = objectstore.read(stored)
    assert b"MARKER-CAMERA-MAKE" not in data
    assert b"Exif" not in data


def test_description_and_context_are_ciphertext_in_the_column(bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(bob, context="falcon gearbox")
    job = SearchJob.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT context, description FROM search_searchjob WHERE id = %s", [job.pk.hex if connection.vendor == "sqlite" else job.pk])
        context, description = cursor.fetchone()
    assert "falcon" not in context and context.startswith("gAAAA")
    assert description.startswith("gAAAA") and "image" not in description
    assert job.context == "falcon gearbox" and "image" in job.description


def test_another_tenants_member_gets_404_and_sees_nothing(bob, dave, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = upload(bob).json()["id"]
    for outsider in (dave, alice):  # another tenant; an admin of the same tenant who did not run it
        response = outsider.api.get(f"/api/v1/search-jobs/{job_id}/")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "Not found."}
        assert outsider.api.get("/api/v1/search-jobs/").json() == []
    assert [j["id"] for j in bob.api.get("/api/v1/search-jobs/").json()] == [job_id]


def test_unknown_job_is_the_same_404_as_a_foreign_one(dave):
    response = dave.api.get("/api/v1/search-jobs/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_without_a_key_the_api_refuses(client, acme):
    response = client.post("/api/v1/search-jobs/", {})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_wrong_or_revoked_key_is_refused(bob):
    from governance.models import ApiKey
    from governance.tenancy.keys import revoke_key

    bob.api.credentials(HTTP_AUTHORIZATION="Bearer sg_nothere_xxxxxxxx")
    assert bob.api.get("/api/v1/search-jobs/").json()["code"] == "invalid_api_key"
    bob.api.credentials(HTTP_AUTHORIZATION=f"Bearer {bob.key}")
    assert bob.api.get("/api/v1/search-jobs/").status_code == 200
    revoke_key(key=ApiKey.objects.get(user=bob.user))
    assert bob.api.get("/api/v1/search-jobs/").status_code == 401


@pytest.mark.parametrize(
    "data,code,status",
    [
        (b"GIF89a" + b"\x00" * 100, "unsupported_image_type", 415),
        (b"not an image at all", "unsupported_image_type", 415),
        (make_jpeg()[:400], "image_unreadable", 400),
    ],
)
def test_a_refused_upload_leaves_no_row_and_no_object(bob, data, code, status):
    response = upload(bob, data)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not SearchJob.objects.exists()
    assert not StoredObject.objects.exists()
    assert list(objectstore.backend().list_keys("")) == []


def test_a_failed_job_deletes_its_image_too(bob, django_capture_on_commit_callbacks):
    from search import pipeline

    upload(bob)
    job = SearchJob.objects.get()
    objectstore.backend().delete_many([job.image.key])  # the image vanished before the provider call
    pipeline.claim(job_id=job.pk)
    job = pipeline.describe(job_id=job.pk)
    assert (job.status, job.error_code) == ("failed", "image_expired")
    assert job.image.deleted_at is not None or StoredObject.objects.get(pk=job.image_id).deleted_at is not None


def test_job_creation_and_end_are_audited_without_content(bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(bob, context="falcon")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["search_job.created", "search_job.done"]
    assert "falcon" not in repr(list(AuditEvent.objects.values()))
