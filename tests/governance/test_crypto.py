import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from governance.crypto import blind_index, check_encryption_key
from governance.models import KeyCanary, User

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_email_is_ciphertext_in_the_column_and_plaintext_through_the_model(bob):
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, email_index FROM governance_user WHERE id = %s", [bob.user.pk])
        stored, index = cursor.fetchone()
    assert "bob" not in stored and stored.startswith("gAAAA")
    assert index == blind_index("bob@acme.example")
    assert User.objects.get(pk=bob.user.pk).email == "bob@acme.example"


def test_users_are_found_by_blind_index_case_insensitively(bob):
    assert User.objects.get_by_natural_key("  BOB@Acme.Example ") == bob.user


def test_blind_index_depends_on_its_own_key(settings):
    first = blind_index("x@example.com")
    settings.BLIND_INDEX_KEY = "another-key"
    assert blind_index("x@example.com") != first


def test_a_canary_written_under_another_key_stops_start_up(db):
    check_encryption_key()  # first start: writes the canary under the current key
    foreign = Fernet(Fernet.generate_key()).encrypt(b"sightguard-encryption-canary-v1").decode()
    KeyCanary.objects.filter(pk=1).update(value=foreign)  # raw value, as another key would have left it
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY cannot decrypt"):
        check_encryption_key()


def test_manage_py_refuses_to_start_with_a_wrong_key(tmp_path):
    """A real start: migrate under one key, then start under another."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SIGHTGUARD_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "test-secret-key-for-a-subprocess-xxxxxxxxxxxxxxxxxxxxxx",
        "BLIND_INDEX_KEY": "test-blind-index-key",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    run = lambda *args, **kw: subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **kw}, capture_output=True, text=True)  # noqa: E731
    assert run("migrate", "--no-input").returncode == 0
    assert run("check").returncode == 0
    wrong = run("check", FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode())
    assert wrong.returncode != 0
    assert "FIELD_ENCRYPTION_KEY cannot decrypt" in wrong.stderr
    rotated = run("check", FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode() + "," + env["FIELD_ENCRYPTION_KEY"])
    assert rotated.returncode == 0, rotated.stderr
