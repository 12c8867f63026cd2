"""search.sanitize: validation by content, and a marker corpus proving no metadata survives."""

import io
import struct
import zlib

import pytest
from PIL import Image, ImageChops, ImageStat

from search.sanitize import (
    ImageTooLarge,
    ImageUnreadable,
    UnsupportedImageType,
    clean_image,
)
from tests.search.corpus import (
    CORPUS,
    MARKER_PREFIX,
    PLAIN_MARKERS,
    jpeg_with_markers,
    m,
    photo,
)


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_no_planted_marker_survives_anywhere_in_the_output(kind):
    data = CORPUS[kind]()
    # The markers really are in the input (so this test can fail), readable by Pillow too.
    for marker in PLAIN_MARKERS[kind]:
        assert marker in data, marker
    source = Image.open(io.BytesIO(data))
    assert m("EXIF-BODYSERIAL").decode() in source.getexif().get_ifd(0x8769).values()
    assert source.getexif().get_ifd(0x8825), "the input has a GPS IFD"

    cleaned = clean_image(data)

    assert MARKER_PREFIX not in cleaned.data
    for marker in PLAIN_MARKERS[kind]:
        assert marker not in cleaned.data
    out = Image.open(io.BytesIO(cleaned.data))
    assert out.format in ("JPEG", "PNG")
    assert not out.getexif(), "no EXIF block at all (no GPS, MakerNote, serials or thumbnail)"
    assert not out.info.get("icc_profile") and not out.info.get("xmp") and not out.info.get("comment")
    assert "photoshop" not in out.info and "exif" not in out.info
    assert not getattr(out, "text", {}), "no PNG text chunks"
    for needle in (b"Exif", b"http://ns.adobe.com", b"ICC_PROFILE", b"Photoshop", b"8BIM", b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"):
        assert needle not in cleaned.data, needle


@pytest.mark.parametrize("kind", ["png", "png-rgba"])
def test_compressed_png_text_is_gone_too(kind):
    source = Image.open(io.BytesIO(CORPUS[kind]()))
    assert source.text["Comment"] == m("PNG-ZTXT").decode()  # zTXt: compressed, not visible as bytes
    assert source.text["Title"] == m("PNG-ITXT-COMPRESSED").decode()
    out = Image.open(io.BytesIO(clean_image(CORPUS[kind]()).data))
    assert out.info.keys() <= {"dpi", "jfif", "jfif_version", "jfif_unit", "jfif_density", "gamma"}
    for chunk in _png_chunks(clean_image(CORPUS[kind]()).data) if out.format == "PNG" else []:
        assert chunk in (b"IHDR", b"IDAT", b"IEND"), chunk


def _png_chunks(data):
    pos, names = 8, []
    while pos < len(data):
        length, name = struct.unpack(">I4s", data[pos : pos + 8])
        names.append(name)
        pos += 12 + length
    return names


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_the_pixels_are_kept(kind):
    source = Image.open(io.BytesIO(CORPUS[kind]())).convert("RGB")
    cleaned = Image.open(io.BytesIO(clean_image(CORPUS[kind]()).data)).convert("RGB")
    assert cleaned.size == source.size
    diff = ImageStat.Stat(ImageChops.difference(source, cleaned)).mean
    assert max(diff) < 6, diff


def test_transparency_is_kept_as_png_and_opaque_images_become_jpeg():
    assert clean_image(CORPUS["png-rgba"]()).mime_type == "image/png"
    assert clean_image(CORPUS["png"]()).mime_type == "image/jpeg"
    assert clean_image(CORPUS["heic"]()).mime_type == "image/jpeg"


def test_the_orientation_is_applied_before_exif_is_dropped():
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise.
    picture = Image.new("RGB", (60, 30), (255, 255, 255))
    picture.paste((0, 0, 0), (0, 0, 30, 30))  # left half black
    cleaned = Image.open(io.BytesIO(clean_image(jpeg_with_markers(orientation=6, image=picture)).data))
    assert cleaned.size == (30, 60)
    top = cleaned.crop((0, 0, 30, 30)).convert("L")
    assert ImageStat.Stat(top).mean[0] < 40, "after rotating clockwise, the black half is on top"


@pytest.mark.parametrize(
    "size,expected",
    [((4000, 3000), (2000, 1500)), ((3000, 1000), (2048, 683)), ((1000, 3000), (683, 2048)), ((800, 600), (800, 600))],
)
def test_it_downscales_to_the_longest_side(size, expected):
    for fmt in ("JPEG", "PNG"):
        out = io.BytesIO()
        Image.new("RGB", size, (10, 120, 30)).save(out, format=fmt)
        cleaned = clean_image(out.getvalue())
        assert (cleaned.width, cleaned.height) == expected or fmt == "PNG" and max(cleaned.width, cleaned.height) == 2048
        assert max(cleaned.width, cleaned.height) <= 2048


def test_the_longest_side_is_a_setting(settings):
    settings.IMAGE_MAX_SIDE = 512
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000)).save(out, format="PNG")
    assert max(clean_image(out.getvalue()).width, 0) == 512


def test_over_the_size_limit_is_refused_before_parsing(settings):
    settings.MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ImageTooLarge) as refused:
        clean_image(b"\xff\xd8" + b"\x00" * 1001)
    assert (refused.value.code, refused.value.status) == ("image_too_large", 413)


def _png_header_only(width, height):
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda name, body: struct.pack(">I", len(body)) + name + body + struct.pack(">I", zlib.crc32(name + body))  # noqa: E731
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def _jpeg_claiming(width, height):
    data = bytearray(jpeg_with_markers())
    sof = data.rindex(b"\xff\xc0")  # the last SOF: the first is the EXIF thumbnail's
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.mark.parametrize("data", [_png_header_only(10_000, 10_000), _jpeg_claiming(65_000, 65_000), _png_header_only(60_000, 60_000)])
def test_a_decompression_bomb_is_refused_from_its_header(data):
    with pytest.raises(ImageTooLarge):
        clean_image(data)


def test_the_pixel_limit_is_a_setting(settings):
    settings.MAX_IMAGE_PIXELS = 96 * 64 - 1
    with pytest.raises(ImageTooLarge):
        clean_image(jpeg_with_markers())
    settings.MAX_IMAGE_PIXELS = 96 * 64
    assert clean_image(jpeg_with_markers()).width == 96


def _encode(fmt, **kw):
    out = io.BytesIO()
    photo().save(out, format=fmt, **kw)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "TIFF", "BMP", "ICO", "PPM", "PDF", "AVIF"])
def test_other_formats_are_refused_by_content(fmt):
    with pytest.raises(UnsupportedImageType):
        clean_image(_encode(fmt))


@pytest.mark.parametrize("data", [b"", b"hello", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"%PDF-1.4\n", b"PK\x03\x04" + b"\x00" * 50])
def test_non_images_are_unsupported(data):
    with pytest.raises(UnsupportedImageType):
        clean_image(data)


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_truncated_files_are_unreadable(kind):
    data = CORPUS[kind]()
    with pytest.raises(ImageUnreadable) as refused:
        clean_image(data[: len(data) * 2 // 3])
    assert (refused.value.code, refused.value.status) == ("image_unreadable", 400)
    with pytest.raises(ImageUnreadable):
        clean_image(data[: len(data) - 400] if kind != "jpeg" else data[: data.index(b"\xff\xda") + 200])


def test_a_gif_named_jpeg_is_judged_by_its_bytes_not_its_name():
    gif = _encode("GIF")
    with pytest.raises(UnsupportedImageType):
        clean_image(gif)


def test_sixteen_bit_and_cmyk_images_are_accepted():
    for image, fmt in ((Image.new("I;16", (40, 30), 40000), "PNG"), (Image.new("CMYK", (40, 30), (0, 50, 100, 0)), "JPEG")):
        out = io.BytesIO()
        image.save(out, format=fmt)
        assert clean_image(out.getvalue()).width == 40


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_through_the_api_only_the_cleaned_image_is_stored(bob, kind):
    from governance.models import StoredObject
    from governance.storage import objectstore

    upload = io.BytesIO(CORPUS[kind]())
    upload.name = "IMG_0001 with a name.heic"
    response = bob.api.post("/api/v1/search-jobs/", {"image": upload}, format="multipart")
    assert response.status_code == 202, response.content
    stored = objectstore.read(StoredObject.objects.get())
    assert MARKER_PREFIX not in stored and b"IMG_0001" not in stored
    assert Image.open(io.BytesIO(stored)).format in ("JPEG", "PNG")
