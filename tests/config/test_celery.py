"""Celery tasks: each of ours has an explicit, stable name `app.verb_noun` (the beat schedule, the
routes and django-celery-beat's rows refer to tasks by name, so a name must not follow the module
around), and a freshly started worker or beat knows every one of them."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
APPS = ("governance", "search", "compliance")
NAME = re.compile(r"(?P<app>[a-z]+)\.[a-z]+(_[a-z]+)+")  # app.verb_noun

TASKS = {
    "governance.enforce_retention",
    "governance.expire_support_requests",
    "governance.notify_access_request",
    "governance.seal_audit_logs",
    "governance.sweep_objects",
    "search.describe_job",
    "search.reconcile_jobs",
    "search.prepare_job",
    "compliance.check_request_deadlines",
    "compliance.deliver_callback",
    "compliance.reissue_export",
    "compliance.resend_lost_callbacks",
    "compliance.resume_stalled_requests",
    "compliance.run_erasure",
    "compliance.run_export",
}

# In a new interpreter, so that nothing another test imported hides a task module a worker misses.
PROBE = """
import importlib, json, pathlib, sys
import django

django.setup()
from config import celery_app


def ours():
    return {name: task.__module__ for name, task in celery_app.tasks.items() if task.__module__.split(".")[0] in APPS}


celery_app.loader.import_default_modules()  # what a worker or beat does when it starts
at_start = ours()
for app in APPS:  # then every module of our apps that defines a task
    for path in sorted(pathlib.Path(app).rglob("*.py")):
        if "shared_task" in path.read_text():
            importlib.import_module(".".join(path.with_suffix("").parts))
print(json.dumps({"at_start": at_start, "defined": ours()}))
"""


@pytest.fixture(scope="module")
def registered():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    script = f"APPS = {APPS!r}\n{PROBE}"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_task_of_ours_has_an_explicit_name_app_verb_noun(registered):
    for name, module in registered["defined"].items():
        match = NAME.fullmatch(name)
        assert match, f"{name} ({module}): give the task an explicit name='app.verb_noun'"
        assert match["app"] == module.split(".")[0], f"{name} is defined in another app ({module})"
    assert set(registered["defined"]) == TASKS


def test_a_freshly_started_worker_knows_every_task(registered):
    assert registered["at_start"] == registered["defined"]


def test_the_beat_schedule_and_the_routes_name_existing_tasks(registered):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(registered["at_start"])
    assert set(settings.CELERY_TASK_ROUTES) <= set(registered["at_start"])
