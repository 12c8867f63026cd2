"""Search jobs by status, for /metrics (governance.metrics reads it at scrape time)."""

from collections.abc import Iterable

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from .models import SearchJob


def jobs_by_status() -> Iterable[Metric]:
    counts = dict(SearchJob.objects.values_list("status").annotate(n=Count("pk")).order_by())
    family = GaugeMetricFamily("sightguard_search_jobs", "Search jobs by status.", labels=["status"])
    for status in SearchJob.Status.values:
        family.add_metric([status], counts.get(status, 0))
    yield family
