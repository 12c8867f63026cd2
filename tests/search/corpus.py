"""A corpus of images with marker strings planted in every metadata place each format has.

Every marker starts with MARKER_PREFIX, so one search of the output bytes for the prefix proves
that none of them survived. The EXIF block is written by hand (a little-endian TIFF structure)
so it holds what cameras write: IFD0 strings, the Exif IFD with serial numbers, owner name and a
MakerNote, a GPS IFD with coordinates, and IFD1 with an embedded JPEG thumbnail.
"""

import io
import struct

from PIL import Image, ImageCms, PngImagePlugin

MARKER_PREFIX = b"SGMK"

ASCII, SHORT, LONG, RATIONAL, UNDEFINED, BYTE = 2, 3, 4, 5, 7, 1
_TYPE_SIZE = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, UNDEFINED: 1}


def m(name: str) -> bytes:
    return MARKER_PREFIX + b"-" + name.encode()


def _ascii(text: bytes):
    return (ASCII, len(text) + 1, text + b"\x00")


def _undefined(data: bytes):
    return (UNDEFINED, len(data), data)


def _ifd_size(entries: dict) -> int:
    size = 2 + 12 * len(entries) + 4
    for _, _count, data in entries.values():
        if len(data) > 4:
            size += len(data) + (len(data) & 1)
    return size


def _ifd_bytes(entries: dict, offset: int, next_ifd: int) -> bytes:
    head = struct.pack("<H", len(entries))
    tail = b""
    data_offset = offset + 2 + 12 * len(entries) + 4
    for tag in sorted(entries):
        kind, count, data = entries[tag]
        if len(data) <= 4:
            head += struct.pack("<HHI", tag, kind, count) + data.ljust(4, b"\x00")
        else:
            head += struct.pack("<HHII", tag, kind, count, data_offset + len(tail))
            tail += data + (b"\x00" if len(data) & 1 else b"")
    return head + struct.pack("<I", next_ifd) + tail


def thumbnail_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(out, format="JPEG", comment=m("THUMBNAIL-COMMENT"))
    return out.getvalue()


def exif_block(orientation: int = 1) -> bytes:
    """A TIFF-structured EXIF block (no "Exif\\0\\0" header) with markers in every IFD."""
    thumb = thumbnail_jpeg()
    ifd0 = {
        0x010E: _ascii(m("EXIF-DESCRIPTION")),
        0x010F: _ascii(m("EXIF-MAKE")),
        0x0110: _ascii(m("EXIF-MODEL")),
        0x0112: (SHORT, 1, struct.pack("<H", orientation)),
        0x0131: _ascii(m("EXIF-SOFTWARE")),
        0x013B: _ascii(m("EXIF-ARTIST")),
        0x8298: _ascii(m("EXIF-COPYRIGHT")),
        0x8769: (LONG, 1, b"\x00\x00\x00\x00"),  # Exif IFD pointer, filled below
        0x8825: (LONG, 1, b"\x00\x00\x00\x00"),  # GPS IFD pointer
    }
    exif_ifd = {
        0x927C: _undefined(m("EXIF-MAKERNOTE") + bytes(range(40))),
        0x9286: _undefined(b"ASCII\x00\x00\x00" + m("EXIF-USERCOMMENT")),
        0xA420: _ascii(m("EXIF-UNIQUEID")),
        0xA430: _ascii(m("EXIF-OWNER")),
        0xA431: _ascii(m("EXIF-BODYSERIAL")),
        0xA435: _ascii(m("EXIF-LENSSERIAL")),
    }
    gps_ifd = {
        0x0000: (BYTE, 4, bytes([2, 3, 0, 0])),
        0x0001: _ascii(b"N"),
        0x0002: (RATIONAL, 3, struct.pack("<6I", 60, 1, 10, 1, 1234, 100)),
        0x0003: _ascii(b"E"),
        0x0004: (RATIONAL, 3, struct.pack("<6I", 24, 1, 56, 1, 789, 100)),
        0x001B: _undefined(b"ASCII\x00\x00\x00" + m("GPS-PROCESSING")),
        0x001C: _undefined(b"ASCII\x00\x00\x00" + m("GPS-AREA")),
    }
    ifd1 = {
        0x0103: (SHORT, 1, struct.pack("<H", 6)),
        0x0201: (LONG, 1, b"\x00\x00\x00\x00"),  # thumbnail offset
        0x0202: (LONG, 1, struct.pack("<I", len(thumb))),
    }
    o_ifd0 = 8
    o_exif = o_ifd0 + _ifd_size(ifd0)
    o_gps = o_exif + _ifd_size(exif_ifd)
    o_ifd1 = o_gps + _ifd_size(gps_ifd)
    o_thumb = o_ifd1 + _ifd_size(ifd1)
    ifd0[0x8769] = (LONG, 1, struct.pack("<I", o_exif))
    ifd0[0x8825] = (LONG, 1, struct.pack("<I", o_gps))
    ifd1[0x0201] = (LONG, 1, struct.pack("<I", o_thumb))
    return (
        b"II*\x00"
        + struct.pack("<I", o_ifd0)
        + _ifd_bytes(ifd0, o_ifd0, o_ifd1)
        + _ifd_bytes(exif_ifd, o_exif, 0)
        + _ifd_bytes(gps_ifd, o_gps, 0)
        + _ifd_bytes(ifd1, o_ifd1, 0)
        + thumb
    )


def xmp_packet() -> bytes:
    return (
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        b'xmlns:exif="http://ns.adobe.com/exif/1.0/">'
        b"<dc:creator>" + m("XMP-CREATOR") + b"</dc:creator>"
        b"<exif:GPSLatitude>" + m("XMP-GPS") + b"</exif:GPSLatitude>"
        b'</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )


def iptc_block() -> bytes:
    """IPTC-IIM records wrapped in a Photoshop 8BIM resource (what APP13 carries)."""
    records = b""
    for dataset, value in ((80, m("IPTC-BYLINE")), (90, m("IPTC-CITY")), (120, m("IPTC-CAPTION"))):
        records += bytes([0x1C, 2, dataset]) + struct.pack(">H", len(value)) + value
    if len(records) & 1:
        records += b"\x00"
    return b"Photoshop 3.0\x00" + b"8BIM" + b"\x04\x04" + b"\x00\x00" + struct.pack(">I", len(records)) + records


def icc_profile() -> bytes:
    """A real sRGB profile with a marker appended (readers keep the profile as opaque bytes)."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() + m("ICC-PROFILE")
    return struct.pack(">I", len(profile)) + profile[4:]


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def photo(size=(96, 64)) -> Image.Image:
    """A picture with structure (a gradient and a block), so re-encoded pixels can be compared."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.paste((200, 40, 40), (0, 0, size[0] // 3, size[1] // 3))
    return image


def jpeg_with_markers(orientation: int = 1, image: Image.Image | None = None) -> bytes:
    out = io.BytesIO()
    (image or photo()).save(out, format="JPEG", quality=90)
    body = out.getvalue()
    segments = (
        _segment(0xE1, b"Exif\x00\x00" + exif_block(orientation))
        + _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet())
        + _segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + icc_profile())
        + _segment(0xED, iptc_block())
        + _segment(0xFE, m("JPEG-COMMENT"))
    )
    return body[:2] + segments + body[2:] + m("TRAILER-AFTER-EOI")


def png_with_markers(mode: str = "RGB") -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", m("PNG-TEXT").decode())
    info.add_text("Comment", m("PNG-ZTXT").decode(), zip=True)
    info.add_itxt("Description", m("PNG-ITXT").decode(), lang="en", tkey="Beschreibung")
    info.add_itxt("Title", m("PNG-ITXT-COMPRESSED").decode(), zip=True)
    info.add_itxt("XML:com.adobe.xmp", xmp_packet().decode())
    info.add_text("Raw profile type iptc", m("PNG-IPTC").decode())
    out = io.BytesIO()
    picture = photo().convert(mode)
    picture.save(out, format="PNG", pnginfo=info, exif=exif_block(), icc_profile=icc_profile())
    return out.getvalue()


def webp_with_markers() -> bytes:
    out = io.BytesIO()
    photo().save(out, format="WEBP", quality=90, exif=b"Exif\x00\x00" + exif_block(), xmp=xmp_packet(), icc_profile=icc_profile())
    return out.getvalue()


def heic_with_markers() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    photo().save(
        out, format="HEIF", quality=90, exif=b"Exif\x00\x00" + exif_block(), xmp=xmp_packet(), icc_profile=icc_profile()
    )
    return out.getvalue()


CORPUS = {
    "jpeg": jpeg_with_markers,
    "png": png_with_markers,
    "png-rgba": lambda: png_with_markers("RGBA"),
    "webp": webp_with_markers,
    "heic": heic_with_markers,
}

# Markers whose bytes appear as they are in the input (compressed text chunks do not).
PLAIN_MARKERS = {
    "jpeg": [
        m(n)
        for n in (
            "EXIF-MAKE", "EXIF-MODEL", "EXIF-ARTIST", "EXIF-BODYSERIAL", "EXIF-LENSSERIAL", "EXIF-OWNER",
            "EXIF-MAKERNOTE", "GPS-PROCESSING", "GPS-AREA", "THUMBNAIL-COMMENT", "XMP-CREATOR", "XMP-GPS",
            "IPTC-BYLINE", "IPTC-CITY", "ICC-PROFILE", "JPEG-COMMENT", "TRAILER-AFTER-EOI",
        )
    ],
    "png": [m(n) for n in ("PNG-TEXT", "PNG-ITXT", "PNG-IPTC", "XMP-CREATOR", "EXIF-BODYSERIAL", "GPS-PROCESSING", "THUMBNAIL-COMMENT")],
    "webp": [m(n) for n in ("EXIF-BODYSERIAL", "EXIF-MAKERNOTE", "GPS-PROCESSING", "THUMBNAIL-COMMENT", "XMP-CREATOR", "ICC-PROFILE")],
    "heic": [m(n) for n in ("EXIF-BODYSERIAL", "EXIF-MAKERNOTE", "GPS-PROCESSING", "THUMBNAIL-COMMENT", "XMP-CREATOR")],
}
PLAIN_MARKERS["png-rgba"] = PLAIN_MARKERS["png"]
