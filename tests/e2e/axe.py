"""axe-core, from the npm registry (tests/e2e/package.json, `npm ci` in tests/e2e), injected into a
Playwright page: the accessibility check of the browser tests. Runs offline."""

import json
import os
from pathlib import Path

from tests.e2e.conftest import require

AXE_JS = Path(os.environ.get("AXE_CORE_JS", Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"))


def violations(page) -> list[dict]:
    """axe's violations on the page as shown now (WCAG 2.x A and AA rules and best practices)."""
    require(AXE_JS.exists(), f"axe-core is not installed: run `npm ci` in tests/e2e (looked for {AXE_JS})")
    page.add_script_tag(content=AXE_JS.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


def describe(found: list[dict]) -> str:
    return json.dumps(found, indent=1)
