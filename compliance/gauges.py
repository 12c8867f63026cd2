"""Open data-subject requests against their deadlines, for /metrics (read at scrape time)."""

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric

from . import deadlines
from .models import DataSubjectRequest


def requests_due() -> Iterable[Metric]:
    family = GaugeMetricFamily(
        "sightguard_data_subject_requests_open",
        "Open data-subject requests: due soon (within compliance.deadlines.DUE_SOON) and overdue.",
        labels=["deadline"],
    )
    everything = DataSubjectRequest.objects.all()
    family.add_metric(["due_soon"], deadlines.due_soon(everything).count())
    family.add_metric(["overdue"], deadlines.overdue(everything).count())
    yield family
