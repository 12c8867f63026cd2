"""Structured logs: one JSON object per line, each carrying the request id, task id and tenant id
of the work it belongs to.

The ids live in context variables: the request middleware sets a request id (and logs one event per
request), the Celery signals set the task id and name, and `bind(tenant_id=...)` is called where
the tenant is resolved (API key authentication). Messages are what the code logs; the rule that
personal data never goes into a log message is kept by the code that logs (and checked by
tests/governance/test_logs.py with planted markers), not by filtering here.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from governance import metrics

_context: ContextVar[dict | None] = ContextVar("sightguard_log_context", default=None)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
request_logger = logging.getLogger("sightguard.request")
task_logger = logging.getLogger("sightguard.task")


def current() -> dict:
    return dict(_context.get() or {})


def bind(**ids) -> None:
    """Add ids (request_id, task_id, task, tenant_id) to every later log event of this request/task."""
    _context.set({**current(), **{k: v for k, v in ids.items() if v is not None}})


def clear() -> None:
    _context.set(None)


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter with a fixed set of fields plus the bound ids."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        for key, value in current().items():
            log_record.setdefault(key, value)


class RequestLogMiddleware:
    """A request id for every request (a well-formed X-Request-ID from the proxy, or a new one),
    echoed in the response, and one log event per request: method, route (the URL pattern's name,
    never the path, which may carry tokens), status and duration — counted for /metrics too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex
        clear()
        bind(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        except Exception:
            request_logger.exception("request failed", extra={"method": request.method, "route": route_of(request)})
            raise
        seconds = time.perf_counter() - started
        method = request.method if request.method in METHODS else "OTHER"
        route = route_of(request)
        response["X-Request-ID"] = request_id
        request_logger.info(
            "request",
            extra={"method": method, "route": route, "status": response.status_code, "duration_ms": round(seconds * 1000, 1)},
        )
        metrics.observe("http_request_duration_seconds", (method, route, str(response.status_code)), seconds)
        clear()
        return response


def task_started(*, task_id: str, task_name: str) -> None:
    # A task run eagerly inside another (the embedded default) gets its own ids, and gives the
    # outer task's back when it ends.
    _task_started[task_id] = (time.perf_counter(), _context.get())
    _context.set({"task_id": task_id, "task": task_name})


def task_ended(*, task_id: str, task_name: str, state: str) -> None:
    """One event and one timing per task run (state: success, failure, retry, ...)."""
    started, outer = _task_started.pop(task_id, (None, None))
    seconds = time.perf_counter() - started if started is not None else 0.0
    task_logger.info("task", extra={"state": state.lower(), "duration_ms": round(seconds * 1000, 1)})
    metrics.observe("task_duration_seconds", (task_name, state.lower()), seconds)
    _context.set(outer)


_task_started: dict[str, tuple[float, dict | None]] = {}


def route_of(request) -> str:
    """The matched URL pattern's name (or its view's), never the path: "unmatched" for a 404."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match._func_path
