import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEYS = {
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "BLIND_INDEX_KEY": "a-production-blind-index-key",
    "AUDIT_SIGNING_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
}


def manage(*args, tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION_KEYS and k != "DEBUG"}
    base.update(SIGHTGUARD_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True)


def test_production_refuses_development_keys(tmp_path):
    result = manage("check", tmp_path=tmp_path, DEBUG="0", SECRET_KEY=PRODUCTION_KEYS["SECRET_KEY"])
    assert result.returncode != 0
    assert "Development keys are refused" in result.stderr
    assert "BLIND_INDEX_KEY, FIELD_ENCRYPTION_KEY" in result.stderr


def devkeys(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_KEYS}
    env["SIGHTGUARD_VAR_DIR"] = str(tmp_path)
    return subprocess.run([sys.executable, "-m", "config.devkeys"], cwd=ROOT, env=env, capture_output=True, text=True)


def test_the_embedded_default_refuses_to_start_without_its_key_file(tmp_path):
    result = manage("check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "config.devkeys" in result.stderr
    assert not (tmp_path / "dev-keys.json").exists()  # settings create nothing


def test_the_embedded_default_keys_are_written_once_and_warned_about(tmp_path):
    assert devkeys(tmp_path).returncode == 0
    keys = (tmp_path / "dev-keys.json").read_text()
    assert (tmp_path / "dev-keys.json").stat().st_mode & 0o077 == 0
    first = manage("check", tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "DEVELOPMENT KEYS" in first.stderr
    assert devkeys(tmp_path).returncode == 0
    assert (tmp_path / "dev-keys.json").read_text() == keys


def test_check_deploy_is_clean_in_production(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, DEBUG="0", **PRODUCTION_KEYS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secrets_can_come_from_files(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(PRODUCTION_KEYS["SECRET_KEY"] + "\n")
    keys = {k: v for k, v in PRODUCTION_KEYS.items() if k != "SECRET_KEY"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, DEBUG="0", SECRET_KEY_FILE=str(secret_file), **keys)
    assert result.returncode == 0, result.stdout + result.stderr
