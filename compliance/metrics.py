"""Per-tenant figures of data-subject requests: by kind and regime, median days to close, denials."""

from statistics import median

from django.db.models import Count, QuerySet

from . import deadlines
from .models import DataSubjectRequest, DenialReason


def summary(queryset: QuerySet) -> dict:
    """Figures over an already tenant-scoped queryset of requests."""
    by_kind_regime = [
        {"kind": DataSubjectRequest.Kind(r["kind"]).label, "regime": r["regime"].upper(), "count": r["n"]}
        for r in queryset.values("kind", "regime").annotate(n=Count("pk")).order_by("kind", "regime")
    ]
    durations = [
        (closed - received).total_seconds() / 86400
        for received, closed in queryset.filter(closed_at__isnull=False)
        .exclude(status=DataSubjectRequest.Status.EXPIRED)
        .values_list("received_at", "closed_at")
        .iterator(chunk_size=2000)
    ]
    denials = [
        {"reason": DenialReason(r["denial_reason"]).label if r["denial_reason"] in DenialReason.values else r["denial_reason"],
         "count": r["n"]}
        for r in queryset.filter(status=DataSubjectRequest.Status.DENIED)
        .values("denial_reason").annotate(n=Count("pk")).order_by("-n")
    ]
    return {
        "by_kind_regime": by_kind_regime,
        "median_days_to_close": round(median(durations), 1) if durations else None,
        "closed": len(durations),
        "denials": denials,
        "overdue": deadlines.overdue(queryset).count(),
        "due_soon": deadlines.due_soon(queryset).count(),
    }
