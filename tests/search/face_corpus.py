"""Photographs with faces at known places: real faces composed into real scenes, made at test time.

The faces are the two real photographs of people scikit-image ships (skimage.data: `astronaut`,
Eileen Collins facing the camera; `camera`, the cameraman turned three-quarters away), also mirrored.
Each is pasted with its surroundings (hair, collar, background) at a known face box, at widths from
14 to 300 px, several per photograph, some cut by an edge of the frame; the scenes are other
skimage photographs. A photograph is uploaded stored as a camera would store it for EXIF
orientation 1, 3, 6 or 8, so its faces are where they are said to be only once it is turned upright.

`photographs()` is the corpus the tests and bench/face_blur.py use; every box is in the upright
image, which is at most 2048 px on its long side so cleaning does not resize it.
"""

import io
import random
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image
from skimage import data as skdata

from tests.search.corpus import exif_block

# Face boxes (left, top, right, bottom) in the 512x512 photographs, eyebrows to chin as CenterFace
# and BlazeFace both put them (checked by hand on the photographs).
SOURCES = {"astronaut": (181, 60, 270, 178), "camera": (201, 117, 259, 198)}
SCENES = ("coffee", "rocket", "chelsea", "hubble_deep_field")
# The exif_transpose inverse: how the camera stored an upright image for each orientation.
STORED_AS = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
WIDTHS = (14, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 80, 100, 128, 160, 200, 240, 300)


@dataclass(frozen=True)
class KnownFace:
    left: int
    top: int
    right: int
    bottom: int
    width: int  # the whole face's width (part of it may be outside the frame)
    source: str
    cut: bool  # cut by an edge of the frame

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.right, self.bottom)


@dataclass(frozen=True)
class Photograph:
    name: str
    upright: Image.Image
    faces: list[KnownFace]
    orientation: int

    def upload(self) -> bytes:
        """The JPEG a camera would have written: pixels stored sideways or upside down as the
        EXIF orientation says."""
        transpose = STORED_AS[self.orientation]
        stored = self.upright if transpose is None else self.upright.transpose(transpose)
        out = io.BytesIO()
        stored.save(out, format="JPEG", quality=94, exif=b"Exif\x00\x00" + exif_block(orientation=self.orientation))
        return out.getvalue()


@cache
def _photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(skdata, name)()).convert("RGB")


def _sprite(source: str, *, mirrored: bool) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The head with some surroundings, and the face box inside it."""
    image = _photo(source)
    left, top, right, bottom = SOURCES[source]
    w, h = right - left, bottom - top
    crop = (max(0, left - w // 2), max(0, top - h * 2 // 3), min(512, right + w // 2), min(512, bottom + h // 2))
    sprite = image.crop(crop)
    face = (left - crop[0], top - crop[1], right - crop[0], bottom - crop[1])
    if mirrored:
        sprite = sprite.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        face = (sprite.width - face[2], face[1], sprite.width - face[0], face[3])
    return sprite, face


def _scene(name: str, size: tuple[int, int], rng: random.Random) -> Image.Image:
    scene = _photo(name).resize(size, Image.Resampling.BILINEAR)
    # sensor-like noise, so the upscaled scene is not unnaturally smooth
    noise = np.random.default_rng(rng.randrange(1 << 30)).integers(-4, 5, (size[1], size[0], 3), dtype=np.int16)
    return Image.fromarray(np.clip(np.asarray(scene, dtype=np.int16) + noise, 0, 255).astype(np.uint8))


def compose(
    *, name: str, size: tuple[int, int], widths: list[int], cut: int, orientation: int, seed: int
) -> Photograph:
    """A scene of `size` (upright) with a face of each width at a free place, and `cut` more
    faces (80-200 px) hanging over the frame's edges by 30-45% of their width or height."""
    rng = random.Random(seed)
    canvas = _scene(SCENES[seed % len(SCENES)], size, rng)
    taken: list[tuple[int, int, int, int]] = []
    faces: list[KnownFace] = []

    def place(width: int, *, edge: str | None) -> None:
        source = rng.choice(sorted(SOURCES))
        sprite, (fl, ft, fr, fb) = _sprite(source, mirrored=rng.random() < 0.5)
        scale = width / (fr - fl)
        sprite = sprite.resize((max(1, round(sprite.width * scale)), max(1, round(sprite.height * scale))), Image.Resampling.LANCZOS)
        fl, ft, fr, fb = (round(v * scale) for v in (fl, ft, fr, fb))
        face_w, face_h = fr - fl, fb - ft
        for _ in range(500):
            if edge is None:
                x = rng.randrange(0, size[0] - face_w)
                y = rng.randrange(0, size[1] - face_h)
            else:
                hang = rng.uniform(0.30, 0.45)
                x = rng.randrange(face_w, size[0] - 2 * face_w)
                y = rng.randrange(face_h, size[1] - 2 * face_h)
                if edge == "left":
                    x = -round(face_w * hang)
                elif edge == "right":
                    x = size[0] - face_w + round(face_w * hang)
                elif edge == "top":
                    y = -round(face_h * hang)
                else:
                    y = size[1] - face_h + round(face_h * hang)
            # keep a face's whole pasted sprite clear of the others' (no face covers another)
            box = (x - fl, y - ft, x - fl + sprite.width, y - ft + sprite.height)
            if all(box[2] <= t[0] or box[0] >= t[2] or box[3] <= t[1] or box[1] >= t[3] for t in taken):
                break
        else:
            raise RuntimeError(f"no room for a {width} px face in {name}")
        taken.append(box)
        canvas.paste(sprite, (box[0], box[1]))
        faces.append(
            KnownFace(
                left=max(0, x),
                top=max(0, y),
                right=min(size[0], x + face_w),
                bottom=min(size[1], y + face_h),
                width=face_w,
                source=source,
                cut=edge is not None,
            )
        )

    for i in range(cut):
        place(rng.randrange(80, 200), edge=("left", "right", "top", "bottom")[(seed + i) % 4])
    for width in sorted(widths, reverse=True):
        place(width, edge=None)
    return Photograph(name=name, upright=canvas, faces=faces, orientation=orientation)


def photographs() -> list[Photograph]:
    """Eight photographs, 2048x1536 or 1536x2048 upright, two per orientation, each with nine faces
    of WIDTHS (every width two to six times across them) and one face cut by an edge."""
    photos = []
    for seed, orientation in enumerate((1, 3, 6, 8, 1, 3, 6, 8)):
        size = (1536, 2048) if orientation in (6, 8) else (2048, 1536)
        widths = [WIDTHS[(seed * 4 + i) % len(WIDTHS)] for i in range(9)] if seed < 4 else [
            WIDTHS[(seed * 4 + i + 2) % len(WIDTHS)] for i in range(9)
        ]
        photos.append(
            compose(name=f"photo{seed}-orientation{orientation}", size=size, widths=widths, cut=1, orientation=orientation, seed=seed)
        )
    return photos


def found_by(known: KnownFace, boxes) -> bool:
    """Whether one of the boxes (left, top, right, bottom) covers at least 30% of the known face box."""
    area = (known.right - known.left) * (known.bottom - known.top)
    for left, top, right, bottom in boxes:
        overlap_w = min(known.right, right) - max(known.left, left)
        overlap_h = min(known.bottom, bottom) - max(known.top, top)
        if overlap_w > 0 and overlap_h > 0 and overlap_w * overlap_h >= 0.3 * area:
            return True
    return False
