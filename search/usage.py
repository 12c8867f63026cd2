"""Usage figures from UsageEvent rows: that searches happened, never what was searched.

Percentiles are read from the database (nearest rank, one indexed query each), so the page costs
the same memory for ten searches or ten million.
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import UsageEvent

MAX_DAYS = 366


@dataclass(frozen=True)
class DayCount:
    day: date
    searches: int


@dataclass(frozen=True)
class UsageSummary:
    first_day: date
    last_day: date
    searches: int
    with_context: int
    per_day: list[DayCount]
    latency_p50_ms: int | None
    latency_p95_ms: int | None
    failures: list[tuple[str, int]]
    by_provider: list[tuple[str, int]]

    @property
    def context_share(self) -> float | None:
        return self.with_context / self.searches if self.searches else None

    @property
    def busiest_day(self) -> int:
        return max((d.searches for d in self.per_day), default=0)


def _percentile(queryset, fraction: float) -> int | None:
    values = queryset.exclude(latency_ms=None).order_by("latency_ms").values_list("latency_ms", flat=True)
    n = values.count()
    if not n:
        return None
    return values[max(math.ceil(fraction * n) - 1, 0)]


def summary(*, tenant_ids: set[int] | frozenset[int] | None, days: int = 30, today: date | None = None) -> UsageSummary:
    """Figures for the last `days` days (UTC) ending today; tenant_ids None means every tenant (operator)."""
    days = min(max(int(days), 1), MAX_DAYS)
    last_day = today or timezone.now().date()
    first_day = last_day - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first_day, time.min), UTC)
    end = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min), UTC)
    events = UsageEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    if tenant_ids is not None:
        events = events.filter(tenant_id__in=tenant_ids)

    totals = events.aggregate(searches=Count("id"), with_context=Count("id", filter=Q(used_context=True)))
    counts = dict(
        events.annotate(day=TruncDate("created_at", tzinfo=UTC)).values_list("day").annotate(n=Count("id"))
    )
    per_day = [DayCount(first_day + timedelta(days=i), counts.get(first_day + timedelta(days=i), 0)) for i in range(days)]
    failures = list(
        events.exclude(outcome="done").values_list("outcome").annotate(n=Count("id")).order_by("-n", "outcome")
    )
    by_provider = list(events.values_list("provider").annotate(n=Count("id")).order_by("-n", "provider"))
    return UsageSummary(
        first_day=first_day,
        last_day=last_day,
        searches=totals["searches"],
        with_context=totals["with_context"],
        per_day=per_day,
        latency_p50_ms=_percentile(events, 0.50),
        latency_p95_ms=_percentile(events, 0.95),
        failures=failures,
        by_provider=by_provider,
    )
