"""Bad input at volume: thousands of generated malformed uploads, no server error, nothing left over.

A bounded property-based test (hypothesis): truncated and bit-flipped images of every accepted
format, decompression bombs (headers claiming huge sizes), polyglots, wrong content types, huge
and malformed EXIF, random bytes, oversize files. Every answer is 202 or one of the stable refusal
codes; a refusal leaves no row and no object; an acceptance leaves exactly one of each.
"""

import io
import os
import random
import struct
import time

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from governance.models import StoredObject
from governance.storage import objectstore
from search.models import SearchJob
from tests.search.corpus import CORPUS, exif_block, jpeg_with_markers, m, thumbnail_jpeg

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("SG_FUZZ_EXAMPLES", 2500))
SIZE_LIMIT = 256 * 1024  # the test's MAX_UPLOAD_BYTES: oversize cases stay cheap
ALLOWED = {
    202: {"queued"},
    400: {"image_unreadable", "invalid"},
    413: {"image_too_large"},
    415: {"unsupported_image_type"},
}
SEEDS = {name: make() for name, make in CORPUS.items()}
NAMES = ["photo.jpg", "photo.png", "x.gif", "report.pdf", "noext", "../../etc/passwd", "ünï.heic", "a" * 200 + ".webp"]
TYPES = ["image/jpeg", "image/png", "image/gif", "application/pdf", "text/html", "application/octet-stream", ""]


def _segment(marker, payload):
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


@st.composite
def truncated(draw):
    data = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
    return data[: draw(st.integers(0, len(data) - 1))]


@st.composite
def bit_flipped(draw):
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 40))):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


@st.composite
def bomb(draw):
    width, height = draw(st.integers(1, 2**31 - 1)), draw(st.integers(1, 2**31 - 1))
    kind = draw(st.sampled_from(["png", "jpeg", "webp"]))
    if kind == "png":
        data = bytearray(SEEDS["png"])
        data[16:24] = struct.pack(">II", width, height)  # IHDR (CRC left wrong on purpose sometimes)
        return bytes(data)
    if kind == "jpeg":
        data = bytearray(SEEDS["jpeg"])
        sof = data.rindex(b"\xff\xc0")
        data[sof + 5 : sof + 9] = struct.pack(">HH", min(height, 65535), min(width, 65535))
        return bytes(data)
    data = bytearray(SEEDS["webp"])
    vp8 = data.find(b"VP8 ")
    if vp8 > 0:
        data[vp8 + 14 : vp8 + 18] = struct.pack("<HH", min(width, 16383), min(height, 16383))
    return bytes(data)


@st.composite
def polyglot(draw):
    image = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
    other = draw(st.sampled_from([
        b"PK\x03\x04" + b"\x00" * 26 + b"evil.exe",
        b"<html><script>alert(1)</script></html>",
        b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF",
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"#!/bin/sh\nrm -rf /\n",
    ]))
    return draw(st.sampled_from([image + other, other + image, other[:6] + image]))


@st.composite
def huge_exif(draw):
    count = draw(st.integers(1, 4))
    payload = b"Exif\x00\x00" + exif_block() + m("PAD").ljust(draw(st.integers(0, 60000)), b"\x00")
    malformed = draw(st.booleans())
    if malformed:  # offsets pointing anywhere, counts of billions
        rng = random.Random(draw(st.integers(0, 2**32)))
        payload = bytearray(payload)
        for _ in range(20):
            at = rng.randrange(6, min(len(payload), 400))
            payload[at : at + 4] = rng.randbytes(4)
        payload = bytes(payload)
    body = jpeg_with_markers()
    return body[:2] + _segment(0xE1, payload[:65533]) * count + body[2:]


@st.composite
def oversize(draw):
    return SEEDS["jpeg"] + b"\x00" * (SIZE_LIMIT + draw(st.integers(1, 1000)))


uploads = st.one_of(
    truncated(),
    bit_flipped(),
    bomb(),
    polyglot(),
    huge_exif(),
    oversize(),
    st.binary(max_size=2048),
    st.just(thumbnail_jpeg()),
)


def _counts():
    return SearchJob.objects.count(), StoredObject.objects.count(), len(list(objectstore.backend().list_keys("")))


def test_thousands_of_malformed_uploads_never_cause_a_server_error(bob, settings):
    settings.MAX_UPLOAD_BYTES = SIZE_LIMIT
    seen_codes = {}
    started = time.monotonic()

    @hsettings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=uploads, name=st.sampled_from(NAMES), content_type=st.sampled_from(TYPES))
    def post(data, name, content_type):
        before = _counts()
        upload = io.BytesIO(data)
        upload.name = name
        response = bob.api.post(
            "/api/v1/search-jobs/",
            {"image": upload},
            format="multipart",
        ) if not content_type else bob.api.post(
            "/api/v1/search-jobs/", _multipart(data, name, content_type), content_type="multipart/form-data; boundary=BoUnDaRy"
        )
        assert response.status_code in ALLOWED, (response.status_code, response.content[:200])
        body = response.json()
        code = body.get("status") if response.status_code == 202 else body["code"]
        assert code in ALLOWED[response.status_code], body
        seen_codes[code] = seen_codes.get(code, 0) + 1
        after = _counts()
        if response.status_code == 202:
            assert after == tuple(n + 1 for n in before)
            job = SearchJob.objects.get(pk=body["id"])  # clear it away so the store stays small
            objectstore.delete(job.image, reason="test")
            StoredObject.objects.filter(pk=job.image_id).delete()
            job.delete()
        else:
            assert after == before, "a refused upload left a row or an object"

    post()
    elapsed = time.monotonic() - started
    # Every kind of answer really happened (the generators reach each branch).
    assert {"image_unreadable", "image_too_large", "unsupported_image_type", "queued"} <= set(seen_codes), seen_codes
    assert sum(seen_codes.values()) >= EXAMPLES * 0.9
    print(f"{sum(seen_codes.values())} uploads in {elapsed:.1f} s: {seen_codes}")


def _multipart(data, name, content_type):
    safe_name = name.encode("utf-8", "replace").replace(b'"', b"")
    return (
        b"--BoUnDaRy\r\n"
        b'Content-Disposition: form-data; name="image"; filename="' + safe_name + b'"\r\n'
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + data + b"\r\n--BoUnDaRy--\r\n"
    )
