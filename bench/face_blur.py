"""Face blurring on 2048 px photographs: what it finds, and what it costs next to cleaning them.

    .venv/bin/python bench/face_blur.py [--runs 5]

The photographs are the test corpus (tests/search/face_corpus.py): eight 2048x1536 / 1536x2048
JPEGs with 80 real faces from 14 to 300 px at known boxes, some cut by the frame, stored for EXIF
orientations 1, 3, 6, 8.

- Recall: the faces found in each cleaned photograph (a found box covering >= 30% of the known
  box), per width band, and how many boxes matched no known face.
- Cost, per photograph, each run timing every row on every photograph in turn (same load):
  - floor: Pillow decode + re-encode of the upload (no orientation, no checks);
  - cleaning: clean_image on the upload (what every upload costs);
  - blurring stage: decode the cleaned image, detect, redact, re-encode (what the CPU stage adds);
  - detection alone.
  The ratios are medians of per-photograph, per-run ratios to cleaning (and to the floor).
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

from django.conf import settings  # noqa: E402
from PIL import Image  # noqa: E402

from search import faces  # noqa: E402
from search.sanitize import clean_image, encode, open_clean  # noqa: E402
from tests.search.face_corpus import found_by, photographs  # noqa: E402

BANDS = [(14, 19), (20, 31), (32, 63), (64, 127), (128, 300)]


def recall(photos, cleaned) -> None:
    totals = {band: [0, 0] for band in BANDS}
    cut = [0, 0]
    spurious = 0
    for photo, data in zip(photos, cleaned):
        found = [(f.left, f.top, f.right, f.bottom) for f in faces.detect(open_clean(data))]
        for known in photo.faces:
            hit = found_by(known, found)
            band = next(b for b in BANDS if b[0] <= known.width <= b[1])
            totals[band][0] += hit
            totals[band][1] += 1
            if known.cut:
                cut[0] += hit
                cut[1] += 1
        spurious += sum(
            not any(found_by(k, [box]) or found_by_box(box, k) for k in photo.faces) for box in found
        )
    print("faces found (width band, px: found / known):")
    for (low, high), (hit, total) in totals.items():
        print(f"  {low:3}-{high:<3} {hit:3} / {total}")
    print(f"  cut by the frame: {cut[0]} / {cut[1]}; boxes matching no known face: {spurious}")


def found_by_box(box, known) -> bool:
    """Whether a found box lies mostly on a known face (it may be smaller than the known box)."""
    left, top, right, bottom = box
    overlap_w = min(known.right, right) - max(known.left, left)
    overlap_h = min(known.bottom, bottom) - max(known.top, top)
    return overlap_w > 0 and overlap_h > 0 and overlap_w * overlap_h >= 0.3 * (right - left) * (bottom - top)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    photos = photographs()
    uploads = [photo.upload() for photo in photos]
    cleaned = [clean_image(data).data for data in uploads]
    recall(photos, cleaned)

    def floor(i):
        image = Image.open(io.BytesIO(uploads[i]))
        image.load()
        image.save(io.BytesIO(), format="JPEG", quality=88)

    def cleaning(i):
        clean_image(uploads[i])

    def blurring(i):
        blurred, _ = faces.blur_faces(open_clean(cleaned[i]))
        encode(blurred)

    def detection(i):
        faces.detect(open_clean(cleaned[i]))

    rows = [("floor: Pillow decode + re-encode", floor), ("cleaning (clean_image)", cleaning),
            ("blurring stage (decode + detect + redact + re-encode)", blurring), ("detection alone", detection)]
    for _, fn in rows:
        fn(0)  # warm-up: model load, allocations
    samples = {name: [] for name, _ in rows}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        for i in range(len(photos)):
            for name, fn in rows:
                start = time.perf_counter()
                fn(i)
                samples[name].append((time.perf_counter() - start) * 1000)
    print(
        f"{len(photos)} photographs, FACE_MIN_WIDTH={settings.FACE_MIN_WIDTH}, {args.runs} runs, load average "
        f"{load_before:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    clean_times, floor_times = samples["cleaning (clean_image)"], samples["floor: Pillow decode + re-encode"]
    print(f"{'':56} {'median ms':>10} {'x cleaning':>11} {'x floor':>8}")
    for name, times in samples.items():
        to_clean = statistics.median(t / c for t, c in zip(times, clean_times))
        to_floor = statistics.median(t / f for t, f in zip(times, floor_times))
        print(f"{name:56} {statistics.median(times):10.1f} {to_clean:11.2f} {to_floor:8.2f}")


if __name__ == "__main__":
    main()
