"""The embedded default: describes an image on this machine, sends nothing anywhere."""

import io

from PIL import Image, ImageStat

from .base import ImageInput, ProviderError

_COLOURS = {
    "red": (200, 40, 40),
    "orange": (230, 140, 30),
    "yellow": (230, 220, 50),
    "green": (50, 160, 60),
    "blue": (40, 80, 200),
    "purple": (130, 60, 170),
    "white": (240, 240, 240),
    "grey": (128, 128, 128),
    "black": (20, 20, 20),
    "brown": (120, 80, 40),
}


def _nearest_colour(rgb) -> str:
    return min(_COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(_COLOURS[name], rgb)))


class OfflineProvider:
    key = "offline"
    subprocessor = None

    def describe(self, *, image: ImageInput, context: str, instructions: str) -> str:
        try:
            picture = Image.open(io.BytesIO(image.data)).convert("RGB")
        except OSError as exc:
            raise ProviderError("unreadable image") from exc
        small = picture.resize((32, 32))
        stat = ImageStat.Stat(small)
        mean = tuple(int(v) for v in stat.mean)
        brightness = sum(mean) / 3
        width, height = picture.size
        shape = "wide" if width > height * 1.2 else "tall" if height > width * 1.2 else "square"
        tone = "bright" if brightness > 170 else "dark" if brightness < 70 else "mid-toned"
        quadrants = [small.crop(box) for box in ((0, 0, 16, 16), (16, 0, 32, 16), (0, 16, 16, 32), (16, 16, 32, 32))]
        colours = sorted({_nearest_colour(ImageStat.Stat(q).mean) for q in quadrants})
        text = f"A {shape}, {tone} image, mostly {_nearest_colour(mean)}, with areas of {', '.join(colours)}."
        if context:
            text += " Context was supplied by the searcher."
        return text
