import re
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from config.devkeys import new_keys

ROOT = Path(__file__).resolve().parents[3]


def generate_keys(tmp_path) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "manage.py", "generate_keys"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    assert all(re.fullmatch(r"[A-Z_]+=[A-Za-z0-9_=:+/-]+", line) for line in lines), lines
    return dict(line.split("=", 1) for line in lines)


def test_it_prints_a_fresh_value_for_every_secret(tmp_path):
    first, second = generate_keys(tmp_path), generate_keys(tmp_path)
    assert set(first) == set(new_keys()) >= {"SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY", "METRICS_TOKEN"}
    assert all(first[name] != second[name] for name in first)
    assert Fernet(first["FIELD_ENCRYPTION_KEY"].encode()).decrypt(Fernet(first["FIELD_ENCRYPTION_KEY"]).encrypt(b"x")) == b"x"


def test_every_secret_is_read_by_the_settings_or_the_stack_and_listed_in_the_env_example():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    for name in new_keys():
        assert f'env("{name}")' in settings_source or f"${{{name}" in compose, name
        assert re.search(rf"^{name}=", example, re.M), name


def test_production_starts_with_the_printed_keys(tmp_path):
    keys = generate_keys(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "0", "SIGHTGUARD_VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **keys}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "dev-keys.json").exists()


def test_the_image_can_print_keys_before_any_is_set(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "0", "SIGHTGUARD_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "config.devkeys", "--env"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    assert {line.split("=", 1)[0] for line in result.stdout.splitlines()} == set(new_keys())
    assert not (tmp_path / "dev-keys.json").exists()
