"""The admin's home as a console: what a tenant admin (or the operator, for the platform) must
look at now. Read-only figures; every number links to the page where it is acted on.

Upper apps add their own panel (compliance: the request queue) with `register_panel`, as they
declare into the data map: governance never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.db.models.functions import TruncDate
from django.utils import timezone

from governance import audit, consent
from governance.admin.humane import CONSENT_WORDS
from governance.datamap import DATA_MAP
from governance.datamap.categories import Category
from governance.models import AccessRequest, AuditEvent, RetentionRun, SweepRun, Tenant
from governance.periodic import PeriodicRun, periodic_runs

# (tenant_ids or None for the platform, now) -> a dict with at least "template"; None to show nothing.
PANELS: list[Callable[..., dict | None]] = []
CHART_DAYS = 14
# The periodic work a tenant admin cares about (the rest is the operator's housekeeping).
TENANT_TASKS = ("governance.enforce_retention", "governance.sweep_objects", "governance.expire_support_requests")


def register_panel(panel: Callable[..., dict | None]) -> Callable[..., dict | None]:
    if panel not in PANELS:
        PANELS.append(panel)
    return panel


@dataclass(frozen=True)
class DayCount:
    day: datetime
    count: int
    x: int  # the bar's place and size in the chart's 280 x 60 drawing (the busiest day is 60 high)
    y: int
    height: int


@dataclass
class Console:
    operator: bool
    tenants: list[Tenant]
    consent: list[tuple[Tenant, str, str]] = field(default_factory=list)  # (tenant, status, words)
    pending_support: list[AccessRequest] = field(default_factory=list)
    live_grants: list[AccessRequest] = field(default_factory=list)
    periodic: list[PeriodicRun] = field(default_factory=list)
    last_retention: RetentionRun | None = None
    last_sweep: SweepRun | None = None
    audit_week: int = 0
    audit_last_at: datetime | None = None
    audit_checkpoint_age: float | None = None  # seconds since the newest signed checkpoint of the log shown
    usage: list[DayCount] = field(default_factory=list)
    panels: list[dict] = field(default_factory=list)

    @property
    def waiting_for_acceptance(self) -> list:
        return [row for row in self.consent if row[1] in (consent.Status.NOT_ACCEPTED, consent.Status.REACCEPTANCE_REQUIRED)]

    @property
    def usage_total(self) -> int:
        return sum(d.count for d in self.usage)

    @property
    def periodic_overdue(self) -> int:
        return sum(r.overdue for r in self.periodic)


def console(*, tenant_ids: set[int] | None, now: datetime | None = None) -> Console:
    """The figures for the tenants `tenant_ids` (None: the whole platform, for the operator)."""
    now = now or timezone.now()
    operator = tenant_ids is None
    tenants = Tenant.objects.order_by("slug")
    if not operator:
        tenants = tenants.filter(pk__in=tenant_ids)
    tenants = list(tenants)
    ids = [t.pk for t in tenants]
    result = Console(operator=operator, tenants=tenants)
    for tenant in tenants:
        status = consent.consent_status(tenant=tenant).status
        result.consent.append((tenant, status, CONSENT_WORDS.get(status, status)))
    support = AccessRequest.objects.filter(tenant_id__in=ids).select_related("tenant", "requester")
    result.pending_support = list(support.filter(status=AccessRequest.Status.PENDING, answer_by__gt=now).order_by("answer_by")[:10])
    result.live_grants = list(support.filter(status=AccessRequest.Status.APPROVED, approved_until__gt=now).order_by("approved_until")[:10])
    runs = periodic_runs(now=now)
    result.periodic = runs if operator else [r for r in runs if r.task in TENANT_TASKS]
    retention = RetentionRun.objects.filter(dry_run=False)
    if not operator:
        retention = retention.filter(tenant_id__isnull=True) | retention.filter(tenant_id__in=ids)
    result.last_retention = retention.order_by("-started_at").first()
    result.last_sweep = SweepRun.objects.order_by("-started_at").first()
    events = AuditEvent.objects.all() if operator else AuditEvent.objects.filter(tenant_id__in=ids)
    figures = events.filter(created_at__gte=now - timedelta(days=7)).aggregate(n=Count("id"))
    result.audit_week = figures["n"]
    result.audit_last_at = events.aggregate(last=Max("created_at"))["last"]
    if operator or len(ids) == 1:  # the platform's log, or the one tenant's
        result.audit_checkpoint_age = audit.newest_checkpoint_age(tenant=None if operator else ids[0], now=now)
    result.usage = usage_per_day(tenant_ids=None if operator else ids, now=now)
    for panel in PANELS:
        shown = panel(tenant_ids=None if operator else set(ids), now=now)
        if shown:
            result.panels.append(shown)
    return result


def usage_per_day(*, tenant_ids, now: datetime, days: int = CHART_DAYS) -> list[DayCount]:
    """Searches per day over the last `days` days, from the data map's usage events (that a search
    happened, never what)."""
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    counts: dict = {}
    for entry in DATA_MAP.of_category(Category.USAGE_EVENTS):
        stamp = entry.retention.timestamp if entry.retention else "created_at"
        rows = entry.model._default_manager.filter(**{f"{stamp}__gte": start})
        if tenant_ids is not None:
            rows = rows.filter(**{f"{entry.tenant_path}__in": list(tenant_ids)})
        for row in rows.annotate(day=TruncDate(stamp)).values("day").annotate(n=Count("pk")):
            counts[row["day"]] = counts.get(row["day"], 0) + row["n"]
    busiest = max(counts.values(), default=0) or 1
    out = []
    for i in range(days):
        day = (start + timedelta(days=i)).date()
        n = counts.get(day, 0)
        height = round(60 * n / busiest)
        out.append(DayCount(day=day, count=n, x=i * 20, y=60 - height, height=height))
    return out
