"""Write the embedded default's development keys once: `python -m config.devkeys [path]`.

Settings never create files; `make` runs this before anything needs the keys. Never for production:
with DEBUG off the settings refuse these keys.
"""

import base64
import json
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def ensure_development_keys(*, path: Path) -> bool:
    """Create the key file unless it exists; True when it was created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    path.touch(mode=0o600)
    path.write_text(json.dumps(keys))
    return True


if __name__ == "__main__":
    import os

    root = Path(__file__).resolve().parent.parent
    var = Path(os.environ.get("SIGHTGUARD_VAR_DIR", root / "var"))
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else var / "dev-keys.json"
    if ensure_development_keys(path=target):
        print(f"Wrote development keys to {target}. Never use them in production.")
