"""Every face of FACE_MIN_WIDTH (20 px) or more is found and made unrecognisable, checked on real
photographs composed at known places (tests/search/face_corpus.py): frontal and turned, several per
photograph, cut by the frame, stored for EXIF orientations 1, 3, 6 and 8.

What the provider received (the fake provider server records it) is checked twice, inside each
known face box: by a detail measure, and by a second detector of another family (BlazeFace).
"""

import io
from functools import cache

import numpy as np
import pytest
from PIL import Image, ImageFilter

from governance.models import FaceRedaction
from search import faces
from search.models import SearchJob
from search.sanitize import clean_image, open_clean
from tests.fakes.fixtures import allow_provider, point_settings_at, provider_server  # noqa: F401
from tests.fakes.provider_server import Reply
from tests.search import second_detector
from tests.search.face_corpus import KnownFace, found_by, photographs
from tests.search.providerwire import sent

MUST_FIND = 20  # settings.FACE_MIN_WIDTH's default


@cache
def corpus():
    return photographs()


def detail(image: Image.Image, box) -> float:
    """Mean absolute Laplacian of the grey levels inside the box, seen at 32x32 whatever its size:
    what edges and features (eyes, mouth, nose) are left at the scale of the face itself."""
    grey = image.convert("L").crop(box).resize((32, 32), Image.Resampling.BOX)
    edges = grey.filter(ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128))
    return float(np.abs(np.asarray(edges, dtype=np.float32) - 128)[1:-1, 1:-1].mean())


def blazeface_sees(image: Image.Image, known: KnownFace) -> bool:
    """Whether BlazeFace finds a face on the known box, looking at a crop around it."""
    crop_side = round(max(known.width, known.bottom - known.top) * 3.0)
    x = round((known.left + known.right - crop_side) / 2)
    y = round((known.top + known.bottom - crop_side) / 2)
    crop = image.crop((x, y, x + crop_side, y + crop_side))
    boxes = [(b[0] + x, b[1] + y, b[2] + x, b[3] + y) for _, b in second_detector.faces_in(crop)]
    return found_by(known, boxes)


@pytest.mark.parametrize("index", range(8))
def test_every_face_of_20_px_or_more_is_found_in_the_cleaned_photograph(index):
    photo = corpus()[index]
    cleaned = open_clean(clean_image(photo.upload()).data)
    assert cleaned.size == photo.upright.size  # turned upright by cleaning, not resized
    found = [(f.left, f.top, f.right, f.bottom) for f in faces.detect(cleaned)]
    missed = [(k.width, k.source, k.cut) for k in photo.faces if k.width >= MUST_FIND and not found_by(k, found)]
    assert missed == []
    assert any(k.cut for k in photo.faces) and len([k for k in photo.faces if k.width >= MUST_FIND]) >= 5


def test_the_corpus_covers_sizes_orientations_and_cut_faces():
    photos = corpus()
    widths = sorted(k.width for p in photos for k in p.faces)
    assert widths[0] <= 14 and widths[-1] >= 200
    assert {p.orientation for p in photos} == {1, 3, 6, 8}
    assert sum(k.cut for p in photos for k in p.faces) == len(photos)
    assert {k.source for p in photos for k in p.faces} == {"astronaut", "camera"}


@pytest.mark.django_db
@pytest.mark.parametrize(("index", "redaction"), [(0, FaceRedaction.PIXELATE), (2, FaceRedaction.PIXELATE), (3, FaceRedaction.FILL)])
def test_what_the_provider_receives_has_no_findable_face_left(
    index, redaction, settings, provider_server, bob, django_capture_on_commit_callbacks
):
    photo = corpus()[index]
    point_settings_at(settings, "gemini", provider_server)
    allow_provider(bob.tenant, "gemini")
    bob.tenant.face_redaction = redaction
    bob.tenant.save(update_fields=["face_redaction"])
    provider_server.script(Reply(text="A photograph."))
    upload = io.BytesIO(photo.upload())
    upload.name = "group-photo.jpg"
    with django_capture_on_commit_callbacks(execute=True):
        response = bob.api.post("/api/v1/search-jobs/", {"image": upload}, format="multipart")
    assert response.status_code == 202, response.content
    assert SearchJob.objects.get(pk=response.json()["id"]).status == "done"

    (request,) = provider_server.requests
    received = Image.open(io.BytesIO(sent("gemini", request).image))
    received.load()
    assert received.size == photo.upright.size
    must = [k for k in photo.faces if k.width >= MUST_FIND]
    # The second detector works: before blurring it sees most of these faces where they are.
    seen_before = [k for k in must if blazeface_sees(photo.upright, k)]
    assert len(seen_before) >= len(must) // 2, [k.width for k in must]
    for known in must:
        before, after = detail(photo.upright, known.box), detail(received, known.box)
        assert after < 0.2 * before, (known, before, after)
        assert not blazeface_sees(received, known), known
