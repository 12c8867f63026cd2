"""Cleaning a 12 MP JPEG, next to bare Pillow on the same file in the same run.

    .venv/bin/python bench/clean_image.py [--runs 7]

Rows (medians of --runs after one warm-up):
- floor: Pillow's half-scale draft decode + re-encode (open, draft to 2000x1500, load, save JPEG);
- bare full decode + re-encode (no draft), for context;
- clean_image: validate by content, orient, fresh pixels, downscale, re-encode (what an upload costs);
- face blurring: detect + blur + re-encode on the cleaned image (what the CPU stage adds), and
  clean + blur together.
The photo: scikit-image's coffee and astronaut (one real face) composed at 4000x3000, with sensor
noise and a full EXIF block (GPS, MakerNote, thumbnail), saved at quality 92.
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from skimage import data as skdata  # noqa: E402

from search import faces  # noqa: E402
from search.sanitize import clean_image, encode, open_clean  # noqa: E402


def twelve_megapixel_photo() -> bytes:
    from tests.search.corpus import exif_block

    canvas = Image.fromarray(skdata.coffee()).resize((4000, 3000), Image.Resampling.BICUBIC)
    canvas.paste(Image.fromarray(skdata.astronaut()).resize((1400, 1400), Image.Resampling.BICUBIC), (1300, 800))
    noisy = np.asarray(canvas).astype(np.int16) + np.random.default_rng(7).normal(0, 4, (3000, 4000, 3)).astype(np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(
        out, format="JPEG", quality=92, exif=b"Exif\x00\x00" + exif_block()
    )
    return out.getvalue()


def timed_round_robin(functions, runs):
    """Each run times every function once, in turn: all rows see the same machine load."""
    for fn in functions:
        fn()  # warm-up (model load, allocations)
    samples = [[] for _ in functions]
    for _ in range(runs):
        for i, fn in enumerate(functions):
            start = time.perf_counter()
            fn()
            samples[i].append((time.perf_counter() - start) * 1000)
    return samples


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    photo = twelve_megapixel_photo()

    def floor():
        image = Image.open(io.BytesIO(photo))
        image.draft("RGB", (2000, 1500))
        image.load()
        image.save(io.BytesIO(), format="JPEG", quality=88)

    def full():
        image = Image.open(io.BytesIO(photo))
        image.load()
        image.save(io.BytesIO(), format="JPEG", quality=88)

    cleaned = clean_image(photo)

    def blur_stage():
        blurred, count = faces.blur_faces(open_clean(cleaned.data))
        assert count == 1, count
        encode(blurred)

    def detect_only():
        faces.detect(open_clean(cleaned.data))

    def clean_and_blur():
        blurred, _ = faces.blur_faces(open_clean(clean_image(photo).data))
        encode(blurred)

    named = [
        ("floor: Pillow draft (1/2 scale) decode + re-encode", floor),
        ("bare Pillow full decode + re-encode", full),
        ("clean_image (strip + orient + fresh pixels + downscale + re-encode)", lambda: clean_image(photo)),
        ("face detection only (on the cleaned image)", detect_only),
        ("face blurring stage (decode cleaned + detect + blur + re-encode)", blur_stage),
        ("clean_image + face blurring stage", clean_and_blur),
    ]
    load_before = os.getloadavg()[0]
    samples = timed_round_robin([fn for _, fn in named], args.runs)
    floor_samples = samples[0]
    print(f"12 MP JPEG, {len(photo) / 1e6:.1f} MB -> cleaned {cleaned.width}x{cleaned.height}, {len(cleaned.data) / 1e3:.0f} kB")
    print(
        f"FACE_MIN_WIDTH={django.conf.settings.FACE_MIN_WIDTH}, {args.runs} runs, load average "
        f"{load_before:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(f"{'':70} {'median ms':>10} {'min ms':>8} {'x floor (median of paired ratios)':>34}")
    for (name, _), times in zip(named, samples):
        ratio = statistics.median(t / f for t, f in zip(times, floor_samples))
        print(f"{name:70} {statistics.median(times):10.1f} {min(times):8.1f} {ratio:34.2f}")


if __name__ == "__main__":
    main()
