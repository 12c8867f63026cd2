"""The vision providers through their real SDKs, against a local server speaking their wire format."""

import io
import json

import pytest
from PIL import Image

from governance.models import StoredObject
from governance.storage import objectstore
from search.models import SearchJob
from search.providers import INSTRUCTIONS, get_provider
from search.sanitize import clean_image
from tests.conftest import make_jpeg
from tests.fakes.fixtures import (  # noqa: F401
    FAKE_API_KEYS,
    allow_provider,
    provider_server,
    use_provider,
)
from tests.fakes.provider_server import Reply

from .providerwire import ALLOWED_BODY_KEYS, sent

pytestmark = pytest.mark.django_db

FILE_NAME = "holiday-photo-of-bob-at-home.jpg"


def upload(actor, data=None, **extra):
    image = io.BytesIO(data or make_jpeg())
    image.name = FILE_NAME
    return actor.api.post("/api/v1/search-jobs/", {"image": image, **extra}, format="multipart")


def planted_jpeg() -> bytes:
    """A JPEG whose EXIF holds a camera marker, an owner name and a GPS position, plus a comment."""
    exif = Image.Exif()
    exif[0x010F] = "MARKER-CAMERA-MAKE"
    exif[0x013B] = "MARKER-ARTIST-BOB"
    gps = {1: "N", 2: (60.0, 10.0, 1.234), 3: "E", 4: (24.0, 56.0, 7.891), 0x1B: b"ASCII\0\0\0MARKER-GPS-AREA"}
    exif[0x8825] = gps
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 120, 40)).save(out, format="JPEG", exif=exif, comment=b"MARKER-COMMENT")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)[2] == (60.0, 10.0, 1.234)
    return data


@pytest.fixture
def searcher(db):
    """A member with ids distinctive enough to look for on the wire (no '1' hiding in headers)."""
    from governance.models import Tenant, User
    from governance.tenancy.tenants import add_member
    from tests.conftest import Actor

    tenant = Tenant.objects.create(pk=876543, slug="initech-widgets", name="Initech Widgets Oy")
    User.objects.create_user(pk=987654, email="milton.waddams@initech.example", password="milton-password-1")
    membership, key = add_member(tenant=tenant, email="milton.waddams@initech.example")
    return Actor(membership, key)


def test_each_provider_has_its_key_and_subprocessor():
    for key in ("gemini", "openai", "anthropic"):
        provider = get_provider(key)
        assert (provider.key, provider.subprocessor) == (key, key)
    assert get_provider("offline").subprocessor is None
    with pytest.raises(ValueError):
        get_provider("nonesuch")


def test_a_search_runs_through_the_sdk_to_a_description(use_provider, bob, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    server.script(Reply(text="A cast iron gearbox with helical gears."))
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(bob, context="gear housing")
    assert response.status_code == 202, response.content
    job = bob.api.get(f"/api/v1/search-jobs/{response.json()['id']}/").json()
    assert (job["status"], job["provider"], job["error_code"]) == ("done", key, "")
    assert job["description"] == "A cast iron gearbox with helical gears."
    (request,) = server.requests
    expected_path = {
        "gemini": "/v1/models/gemini-2.5-flash:generateContent",
        "openai": "/v1/chat/completions",
        "anthropic": "/v1/messages",
    }[key]
    assert request.path.split("?")[0] in (expected_path, expected_path.replace("/v1/", "/v1beta/"))
    assert sent(key, request).api_key_header == FAKE_API_KEYS[key]
    stored = StoredObject.objects.get()
    assert stored.deleted_at is not None and not objectstore.backend().exists(stored.key)


def test_the_model_is_a_setting(settings, use_provider, bob, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    setattr(settings, f"{key.upper()}_MODEL", "model-from-settings-7")
    with django_capture_on_commit_callbacks(execute=True):
        upload(bob)
    (request,) = server.requests
    if key == "gemini":
        assert "/models/model-from-settings-7:generateContent" in request.path
    else:
        assert request.json["model"] == "model-from-settings-7"


def test_the_provider_gets_the_cleaned_image_context_and_instructions_and_nothing_else(
    use_provider, searcher, django_capture_on_commit_callbacks
):
    key, server = use_provider
    allow_provider(searcher.tenant, key)
    original = planted_jpeg()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(searcher, original, context="falcon gearbox, left side")
    assert response.status_code == 202
    (request,) = server.requests
    wire = sent(key, request)

    # What must be there: the cleaned image, inline; our instructions as the system instruction;
    # the context as text.
    assert wire.image == clean_image(original).data
    assert wire.mime_type == "image/jpeg"
    assert Image.open(io.BytesIO(wire.image)).size == (320, 240)
    assert wire.instructions == INSTRUCTIONS
    assert wire.texts == ["Context from the searcher: falcon gearbox, left side"]
    assert wire.body_keys <= ALLOWED_BODY_KEYS[key]

    # What must not: EXIF, GPS, comments in the image bytes...
    for marker in (b"MARKER-CAMERA-MAKE", b"MARKER-ARTIST-BOB", b"MARKER-GPS-AREA", b"MARKER-COMMENT", b"Exif"):
        assert marker in original  # planted...
        assert marker not in wire.image  # ...and gone
    assert dict(Image.open(io.BytesIO(wire.image)).getexif()) == {}
    # ...and anything that names the searcher or the tenant, anywhere in path, headers or body.
    everything = request.wire.lower()
    user, tenant = searcher.user, searcher.tenant
    assert (user.pk, tenant.pk) == (987654, 876543)
    for forbidden in (
        "milton.waddams@initech.example", "milton", "waddams", "initech", tenant.name.lower(), tenant.slug,
        "987654", "876543", searcher.key.lower(), searcher.key.split("_")[1].lower(), user.email_index.lower(),
        FILE_NAME.lower(), "holiday", response.json()["id"],
    ):
        assert forbidden not in everything, forbidden
    for name in request.headers:
        assert name.lower() == "user-agent" or not {"user", "tenant", "org"} & set(name.lower().split("-")), name


def test_without_context_the_provider_is_told_so(use_provider, bob, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    with django_capture_on_commit_callbacks(execute=True):
        upload(bob)
    assert sent(key, server.requests[0]).texts == ["No context was given."]
    assert SearchJob.objects.get().has_context is False


def test_a_missing_api_key_fails_the_job_without_a_call(settings, use_provider, bob, django_capture_on_commit_callbacks):
    key, server = use_provider
    allow_provider(bob.tenant, key)
    setattr(settings, f"{key.upper()}_API_KEY", "")
    with django_capture_on_commit_callbacks(execute=True):
        upload(bob)
    job = SearchJob.objects.get()
    assert (job.status, job.error_code) == ("failed", "provider_not_configured")
    assert server.requests == []
    assert StoredObject.objects.get().deleted_at is not None


def test_the_request_body_is_json_the_fake_could_read(use_provider, bob, django_capture_on_commit_callbacks):
    # Guards the guard: if the fake failed to parse bodies, the minimisation test would see nothing.
    key, server = use_provider
    allow_provider(bob.tenant, key)
    with django_capture_on_commit_callbacks(execute=True):
        upload(bob, context="x")
    request = server.requests[0]
    assert request.json == json.loads(request.body) and len(request.body) > 1000
