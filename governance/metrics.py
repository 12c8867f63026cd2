"""/metrics: Prometheus' text format (prometheus-client), for a scraper that presents
METRICS_TOKEN or comes from METRICS_ALLOWED_NETWORKS.

Two kinds of figures:
- Timings counted where the work happens — requests (governance.logs' middleware), Celery tasks
  (config.celery's signals), provider calls (search.providers) — as histograms whose `_count` is
  the number of calls. Every web and worker process adds to the same Redis hash (CACHE_URL), so
  one scrape of any web process sees all of them; without Redis (the embedded default) each
  process counts its own.
- Gauges read at scrape time from the database and the broker by the sources the apps register
  (`register`, from their AppConfig.ready): queue depth, jobs by status, requests due, the oldest
  transient object, periodic-task lag, the newest audit checkpoint.

Labels are fixed vocabularies (route names, task names, statuses, error codes, purposes): never
an id, a path, an address or anything a user typed.
"""

import hmac
import ipaddress
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponse
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

log = logging.getLogger(__name__)

BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
HISTOGRAMS = {
    # name: (help, label names)
    "http_request_duration_seconds": ("Requests by method, route and status, and their latency.", ("method", "route", "status")),
    "task_duration_seconds": ("Celery tasks by name and final state, and their run time.", ("task", "state")),
    "provider_call_duration_seconds": ("Vision-provider calls by provider and outcome (ok or error code).", ("provider", "outcome")),
}
KEY_PREFIX = "sightguard:metrics:"
SEPARATOR = "\x1f"

_sources: list[Callable[[], Iterable[Metric]]] = []


def register(source: Callable[[], Iterable[Metric]]) -> Callable[[], Iterable[Metric]]:
    """Add a function yielding metric families read at scrape time (gauges from the database)."""
    if source not in _sources:
        _sources.append(source)
    return source


# --- timings shared across processes -----------------------------------------------------------------


@lru_cache(maxsize=4)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


class _LocalStore:
    """The embedded default's per-process counts (same shape as the Redis hashes)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.hashes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))


_local = _LocalStore()


def _bucket(seconds: float) -> str:
    return next((str(b) for b in BUCKETS if seconds <= b), "+Inf")


def observe(name: str, labels: tuple[str, ...], seconds: float) -> None:
    """Count one call of `name` with these label values, taking `seconds`. Never raises: a metrics
    store that does not answer must not fail the request or the task it measures."""
    base = SEPARATOR.join(labels)
    fields = ("count" + SEPARATOR + base, "le=" + _bucket(seconds) + SEPARATOR + base)
    key = KEY_PREFIX + name
    if settings.CACHE_URL:
        try:
            pipe = _redis(settings.CACHE_URL).pipeline(transaction=False)
            for field in fields:
                pipe.hincrby(key, field, 1)
            pipe.hincrbyfloat(key, "sum" + SEPARATOR + base, seconds)
            pipe.execute()
        except Exception as exc:  # noqa: BLE001 - see the docstring
            log.warning("metrics: could not count %s (%s)", name, type(exc).__name__)
        return
    with _local.lock:
        for field in fields:
            _local.hashes[key][field] += 1
        _local.hashes[key]["sum" + SEPARATOR + base] += seconds


def _read(name: str) -> dict[str, float]:
    key = KEY_PREFIX + name
    if settings.CACHE_URL:
        raw = _redis(settings.CACHE_URL).hgetall(key)
        return {field.decode(): float(value) for field, value in raw.items()}
    with _local.lock:
        return dict(_local.hashes[key])


def _histograms() -> Iterable[Metric]:
    for name, (documentation, label_names) in HISTOGRAMS.items():
        family = HistogramMetricFamily("sightguard_" + name, documentation, labels=label_names)
        series: dict[str, dict] = defaultdict(lambda: {"count": 0.0, "sum": 0.0, "le": defaultdict(float)})
        for field, value in _read(name).items():
            part, _, base = field.partition(SEPARATOR)
            if part.startswith("le="):
                series[base]["le"][part[3:]] += value
            else:
                series[base][part] += value
        for base, s in sorted(series.items()):
            cumulative, buckets = 0.0, []
            for bound in [*map(str, BUCKETS), "+Inf"]:
                cumulative += s["le"].get(bound, 0.0)
                buckets.append((bound, cumulative))
            family.add_metric(base.split(SEPARATOR), buckets, s["sum"])
        yield family


# --- the endpoint ------------------------------------------------------------------------------------


class _Sources(Collector):
    def collect(self):
        yield from _histograms()
        for source in _sources:
            try:
                yield from source()
            except Exception as exc:  # noqa: BLE001 - one broken source must not hide the others
                log.warning("metrics: source %s failed (%s)", source.__qualname__, type(exc).__name__)


def exposition() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Sources())
    return generate_latest(registry)


def scrape_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
        return True
    if settings.METRICS_ALLOWED_NETWORKS:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "0.0.0.0"))
        return any(address in ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_NETWORKS)
    return False


def metrics_view(request):
    """404 (not 401/403) to anyone else: the endpoint does not say it exists."""
    if not scrape_allowed(request):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
