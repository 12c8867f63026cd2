"""Transfers to sub-processors: one row per provider call (who received how many bytes, where, when,
under which terms version) — never the image, the context or the answer.

Read for the proof of erasure and the export (which sub-processors received a subject's images:
GDPR Art. 15(1)(c), 17(2), 19) and for the tenant admin's page of transfers per sub-processor per day.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.db.models import Count, Max, Min, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from governance.models import ConsentRecord, Subprocessor, Transfer, User


def endpoint_of(base_url: str | None, default_host: str) -> str:
    """The host an SDK calls: its configured base URL's, or the provider's public one."""
    return (urlsplit(base_url).netloc if base_url else "") or default_host


def record(*, tenant_id: int, subprocessor: str, job_id, user_id, bytes_sent: int, endpoint: str) -> Transfer:
    """One INSERT: the terms version the tenant last accepted and the searcher's blind index are
    read by subqueries in the same statement."""
    terms = ConsentRecord.objects.filter(tenant_id=tenant_id).order_by("-accepted_at", "-id").values("terms_id")[:1]
    subject = User.objects.filter(pk=user_id).values("email_index")[:1]
    return Transfer.objects.create(
        tenant_id=tenant_id, subprocessor=subprocessor, job_id=job_id, bytes_sent=bytes_sent, endpoint=endpoint,
        terms_id=Subquery(terms), subject_index=Subquery(subject),
    )


def recipients(*, tenant_id: int, subject_index: str) -> list[dict]:
    """The sub-processors that received this subject's images in this tenant: when (first, last), how
    often, and what each may keep by the terms version then in force. Nothing personal."""
    groups = (
        Transfer.objects.filter(tenant_id=tenant_id, subject_index=subject_index)
        .values("subprocessor", "terms_id", "terms__version")
        .annotate(first=Min("created_at"), last=Max("created_at"), calls=Count("id"), bytes=Sum("bytes_sent"))
        .order_by("subprocessor", "first")
    )
    statements = {
        (s.terms_id, s.provider_key): s
        for s in Subprocessor.objects.filter(terms_id__in={g["terms_id"] for g in groups})
    }
    found = []
    for g in groups:
        named = statements.get((g["terms_id"], g["subprocessor"]))
        found.append({
            "subprocessor": g["subprocessor"],
            "company": named.company if named else "",
            "service": named.service if named else "",
            "first_sent_at": g["first"].isoformat(),
            "last_sent_at": g["last"].isoformat(),
            "calls": g["calls"],
            "bytes": g["bytes"],
            "terms_version": g["terms__version"],
            "retention": named.retention if named else "",
        })
    return found


@dataclass(frozen=True)
class DayTransfers:
    day: date
    subprocessor: str
    calls: int
    bytes: int


def per_day(*, tenant_ids, days: int = 30, today: date | None = None) -> list[DayTransfers]:
    """Calls and bytes per sub-processor per day (UTC), newest day first; tenant_ids None: every tenant."""
    last_day = today or timezone.now().date()
    start = datetime.combine(last_day - timedelta(days=days - 1), time.min, UTC)
    rows = Transfer.objects.filter(created_at__gte=start)
    if tenant_ids is not None:
        rows = rows.filter(tenant_id__in=tenant_ids)
    grouped = (
        rows.annotate(day=TruncDate("created_at", tzinfo=UTC)).values("day", "subprocessor")
        .annotate(calls=Count("id"), bytes=Sum("bytes_sent")).order_by("-day", "subprocessor")
    )
    return [DayTransfers(g["day"], g["subprocessor"], g["calls"], g["bytes"]) for g in grouped]
