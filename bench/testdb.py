"""Run a benchmark in a throw-away test database of the configured DATABASE_URL, as pytest-django would."""

import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import setup_test_environment


def run_in_test_database(run):
    setup_test_environment()
    settings.LOCAL_OBJECT_ROOT = Path(tempfile.mkdtemp()) / "objects"
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
