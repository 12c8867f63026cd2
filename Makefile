# Sightguard: `make run` to try it, `make test` to test it. Only Python 3.11 is needed.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup migrate demo worker clean

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
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

demo: migrate
	$(PY) manage.py demo

clean:
	rm -rf var
