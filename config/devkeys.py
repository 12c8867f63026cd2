"""Every secret the settings require, made in one place.

`new_keys()` makes fresh values for each of them; `python manage.py generate_keys` (or, before any
key is set, `python -m config.devkeys --env`) prints them for a `.env` file (production), and `python -m config.devkeys [path]` writes them once into the
embedded default's development key file. Settings never create files; `make` runs this before
anything needs the keys. With DEBUG off the settings refuse the development key file.
"""

import base64
import json
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def new_keys() -> dict[str, str]:
    """Fresh values for every secret the settings read, by setting name."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        # A Fernet key (32 random bytes, url-safe base64); a comma-separated list allows rotation.
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        # The Ed25519 seed (32 bytes, base64) that signs the audit logs' checkpoints.
        "AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        # The bearer token Prometheus presents to /metrics.
        "METRICS_TOKEN": secrets.token_urlsafe(32),
        # The stack's own (docker-compose.yml builds DATABASE_URL and the object store's
        # credentials from them); url-safe, so they fit in a URL unquoted.
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "MINIO_ROOT_PASSWORD": secrets.token_urlsafe(24),
        # MinIO's built-in key for default bucket encryption (SSE-S3): a name and 32 random bytes.
        "MINIO_KMS_SECRET_KEY": "sightguard-key:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def ensure_development_keys(*, path: Path) -> bool:
    """Create the key file unless it exists; True when it was created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(new_keys()))
    return True


def env_lines() -> list[str]:
    """Fresh secrets as .env lines (`manage.py generate_keys`, or `python -m config.devkeys --env`
    where settings cannot load yet, e.g. in the image before any key is set)."""
    return [f"{name}={value}" for name, value in new_keys().items()]


if __name__ == "__main__":
    import os

    if sys.argv[1:] == ["--env"]:
        print("\n".join(env_lines()))
        sys.exit(0)

    root = Path(__file__).resolve().parent.parent
    var = Path(os.environ.get("SIGHTGUARD_VAR_DIR", root / "var"))
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else var / "dev-keys.json"
    if ensure_development_keys(path=target):
        print(f"Wrote development keys to {target}. Never use them in production.")
