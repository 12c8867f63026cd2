"""Upload cleaning: validate by content, strip every byte of metadata, downscale, re-encode.

Only what this module returns is ever stored or sent. The pixels are copied into a fresh image
so nothing of EXIF (GPS, MakerNote, thumbnails), XMP, IPTC, ICC, comments or PNG text survives.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from governance.errors import SightguardError

register_heif_opener()
Image.MAX_IMAGE_PIXELS = None  # our own limit (MAX_IMAGE_PIXELS) is checked from the header
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")


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
    if len(data) > settings.MAX_UPLOAD_BYTES:
        raise ImageTooLarge(f"The image is over {settings.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    try:
        source = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise UnsupportedImageType() from None
    except (OSError, ValueError, SyntaxError):
        raise ImageUnreadable() from None
    width, height = source.size
    if width * height > settings.MAX_IMAGE_PIXELS:
        raise ImageTooLarge(f"The image is over {settings.MAX_IMAGE_PIXELS // 1_000_000} megapixels.")
    max_side = settings.IMAGE_MAX_SIDE
    try:
        if source.format == "JPEG":
            source.draft("RGB", (max_side, max_side))  # decode at reduced scale when it is much larger
        source.load()
        oriented = ImageOps.exif_transpose(source)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ImageUnreadable() from None

    has_alpha = oriented.mode in ("RGBA", "LA", "PA") or (oriented.mode == "P" and "transparency" in oriented.info)
    mode = "RGBA" if has_alpha else "RGB"
    pixels = oriented.convert(mode)
    if max(pixels.size) > max_side:
        pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    fresh = Image.new(mode, pixels.size)  # a new image carries no info dict: no metadata at all
    fresh.paste(pixels)

    out = io.BytesIO()
    if has_alpha:
        fresh.save(out, format="PNG", optimize=False)
        mime = "image/png"
    else:
        fresh.save(out, format="JPEG", quality=88)
        mime = "image/jpeg"
    return CleanImage(out.getvalue(), mime, fresh.width, fresh.height)
