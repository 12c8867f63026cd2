"""axe-core, the accessibility checker, injected into a page by Playwright.

Fetched once from the npm registry (a pinned version, checked against the registry's sha512
integrity) into var/, then reused offline. Not a Python package, so not in requirements/.
"""

import base64
import hashlib
import json
import subprocess
import tarfile

from tests.e2e.conftest import ROOT, require

VERSION = "4.14.1"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
HOME = ROOT / "var" / f"axe-core-{VERSION}"


def source() -> str:
    script = HOME / "axe.min.js"
    if not script.exists():
        HOME.mkdir(parents=True, exist_ok=True)
        fetched = subprocess.run(["npm", "pack", f"axe-core@{VERSION}", "--pack-destination", str(HOME)],
                                 capture_output=True, text=True, timeout=300)
        require(fetched.returncode == 0, f"npm could not fetch axe-core {VERSION}: {fetched.stderr[-300:]}")
        tarball = HOME / f"axe-core-{VERSION}.tgz"
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        assert digest == INTEGRITY, "axe-core's tarball does not match the registry's integrity"
        with tarfile.open(tarball) as archive:
            script.write_bytes(archive.extractfile("package/axe.min.js").read())
    return script.read_text()


def violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A/AA and best practices)."""
    page.add_script_tag(content=source())
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]} for v in found]


def assert_accessible(page) -> None:
    found = violations(page)
    assert found == [], found


def describe(found: list[dict]) -> str:
    return json.dumps(found, indent=1)
