"""Upload cleaning: validate by content, strip every byte of metadata, downscale, re-encode.

Only what this module returns is ever stored or sent. The pixels are copied into a fresh image
so nothing of EXIF (GPS, MakerNote, serial numbers, thumbnails), XMP, IPTC, ICC, comments or PNG
text survives: the encoder is given pixels and nothing else.

Refusals, in the order they are checked:
- more bytes than MAX_UPLOAD_BYTES → image_too_large (413), before anything is parsed;
- not JPEG, PNG, WebP or HEIC/HEIF by content (the name and declared type are ignored)
  → unsupported_image_type (415);
- more pixels than MAX_IMAGE_PIXELS, read from the header before any decoding → image_too_large;
- truncated or corrupt → image_unreadable (400).
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from governance.errors import SightguardError

register_heif_opener()
# Pillow's own bomb check (a warning above MAX_IMAGE_PIXELS, an error above twice that) stays on
# as a second line; ours (settings.MAX_IMAGE_PIXELS, default 50 MP) is lower and checked first.
# Pillow warns between its limit and twice it; we refuse from the header right after open anyway.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# JPEG can decode at 1/2, 1/4 or 1/8 scale for almost nothing. We let it land anywhere between
# this fraction of IMAGE_MAX_SIDE and IMAGE_MAX_SIDE (a 4000x3000 photo decodes at 2000x1500)
# rather than decode everything and resample to exactly IMAGE_MAX_SIDE (five times slower).
DRAFT_MIN_FRACTION = 0.9
JPEG_QUALITY = 88


class ImageTooLarge(SightguardError):
    code, status, detail = "image_too_large", 413, "The image is larger than allowed."


class UnsupportedImageType(SightguardError):
    code, status, detail = "unsupported_image_type", 415, "Only JPEG, PNG, WebP and HEIC/HEIF images are accepted."


class ImageUnreadable(SightguardError):
    code, status, detail = "image_unreadable", 400, "The image is truncated or corrupt."


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    mime_type: str
    width: int
    height: int


def clean_image(data: bytes) -> CleanImage:
    """Validate an upload by its content and return only its pixels, re-encoded and downscaled."""
    pixels = decode_upload(data)
    return encode(pixels)


def decode_upload(data: bytes) -> Image.Image:
    """The upload's first frame, oriented, as a fresh RGB or RGBA image with no metadata at all."""
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise ImageTooLarge(f"The image is over {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # someone turned Pillow's truncation check off: refuse to run
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    try:
        source = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        # An accepted format's signature that no parser could open is a damaged image, not another type.
        raise (ImageUnreadable() if looks_accepted(data) else UnsupportedImageType()) from None
    except Image.DecompressionBombError:
        raise ImageTooLarge(f"The image is over {settings.MAX_IMAGE_PIXELS // 1_000_000} megapixels.") from None
    except Exception:  # noqa: BLE001 - Pillow's parsers raise many types on hostile headers
        raise ImageUnreadable() from None
    with source:
        width, height = source.size
        if width <= 0 or height <= 0:
            raise ImageUnreadable()
        if width * height > settings.MAX_IMAGE_PIXELS:
            raise ImageTooLarge(f"The image is over {settings.MAX_IMAGE_PIXELS // 1_000_000} megapixels.")
        try:
            return _fresh_pixels(source)
        except Image.DecompressionBombError:
            raise ImageTooLarge(f"The image is over {settings.MAX_IMAGE_PIXELS // 1_000_000} megapixels.") from None
        except (MemoryError, RecursionError):
            raise ImageUnreadable() from None
        except Exception:  # noqa: BLE001 - truncated data is OSError, corrupt data anything from decoders
            raise ImageUnreadable() from None


HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1", b"mif2"}


def looks_accepted(data: bytes) -> bool:
    """Whether the first bytes are the signature of JPEG, PNG, WebP or HEIC/HEIF."""
    return (
        data[:3] == b"\xff\xd8\xff"
        or data[:8] == b"\x89PNG\r\n\x1a\n"
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or (data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS)
    )


def _fresh_pixels(source: Image.Image) -> Image.Image:
    max_side = settings.IMAGE_MAX_SIDE
    width, height = source.size
    if source.format in ("JPEG", "MPO") and max(width, height) > max_side:
        scale = max_side * DRAFT_MIN_FRACTION / max(width, height)
        source.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
    source.load()
    # Apply the EXIF orientation before EXIF is dropped (exif_transpose copies: only when needed).
    orientation = source.getexif().get(ExifTags.Base.Orientation, 1)
    oriented = ImageOps.exif_transpose(source) if orientation not in (0, 1) else source
    has_alpha = oriented.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        oriented.mode == "P" and "transparency" in oriented.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    pixels = oriented if oriented.mode == mode else oriented.convert(mode)
    if max(pixels.size) > max_side:
        pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A new image has an empty info dict and no EXIF: whatever the source carried stays behind.
    # (color=None: not zero-filled first, every pixel is pasted over.)
    fresh = Image.new(mode, pixels.size, None)
    fresh.paste(pixels)
    return fresh


def encode(image: Image.Image) -> CleanImage:
    """Encode pixels with no metadata: JPEG, or PNG when there is transparency to keep."""
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    if image.info or image.getexif():  # only fresh images reach here; a guard against a future caller
        fresh = Image.new(image.mode, image.size)
        fresh.paste(image)
        image = fresh
    out = io.BytesIO()
    if image.mode == "RGBA":
        image.save(out, format="PNG", compress_level=6)
        mime = "image/png"
    else:
        image.save(out, format="JPEG", quality=JPEG_QUALITY)
        mime = "image/jpeg"
    return CleanImage(out.getvalue(), mime, image.width, image.height)


def open_clean(data: bytes) -> Image.Image:
    """Open an image this module produced (from our own store), fully loaded."""
    image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
    image.load()
    return image
