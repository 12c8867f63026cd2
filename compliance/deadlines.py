"""Deadlines of a data-subject request, from receipt, per regime (FACTS.md, "The law, in numbers").

GDPR Art. 12(3): one month, extendable once by two months with reasons given within the first month.
CCPA 7021: confirm receipt within 10 business days; reply within 45 days, extendable once by 45.
"""

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import DataSubjectRequest

Regime = DataSubjectRequest.Regime
DUE_SOON = timedelta(days=7)
CCPA_ACK_BUSINESS_DAYS = 10


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb)."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def add_business_days(moment: datetime, days: int) -> datetime:
    current = moment
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def reply_due(*, regime: str, received_at: datetime) -> datetime:
    if regime == Regime.GDPR:
        return add_months(received_at, 1)
    return received_at + timedelta(days=45)


def acknowledgement_due(*, regime: str, received_at: datetime) -> datetime | None:
    if regime == Regime.CCPA:
        return add_business_days(received_at, CCPA_ACK_BUSINESS_DAYS)
    return None


def extended_due(*, regime: str, due_at: datetime) -> datetime:
    if regime == Regime.GDPR:
        return add_months(due_at, 2)
    return due_at + timedelta(days=45)


def open_requests(queryset: QuerySet) -> QuerySet:
    return queryset.exclude(status__in=DataSubjectRequest.CLOSED)


def overdue(queryset: QuerySet, *, now=None) -> QuerySet:
    return open_requests(queryset).filter(due_at__lt=now or timezone.now())


def due_soon(queryset: QuerySet, *, now=None) -> QuerySet:
    now = now or timezone.now()
    return open_requests(queryset).filter(due_at__gte=now, due_at__lt=now + DUE_SOON)
