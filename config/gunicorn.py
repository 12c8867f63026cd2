"""gunicorn's settings for the image: `gunicorn config.wsgi --config python:config.gunicorn`.

Every value may be overridden on the command line or by GUNICORN_CMD_ARGS.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
# No access log: request paths carry link tokens; the app logs each request as one JSON event
# (governance/logs.py) with its request id and without the query string.
accesslog = None
# gunicorn's own messages as JSON lines too.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "governance.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
