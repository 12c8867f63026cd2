"""Opt-out of sale/sharing (CCPA 7026, and the GPC signal): in force at once, no verification."""

from django.db import transaction

from governance import audit
from governance.crypto import blind_index

from .models import SaleOptOut


def apply(*, tenant, subject_index: str, source: str) -> SaleOptOut:
    with transaction.atomic():
        opt_out, created = SaleOptOut.objects.get_or_create(
            tenant=tenant, subject_index=subject_index, defaults={"source": source}
        )
        if created:
            audit.record(action="privacy.opted_out", actor=f"subject:{source}", tenant=tenant, target=opt_out,
                         metadata={"source": source})
    return opt_out


def is_opted_out(*, tenant, email: str) -> bool:
    return SaleOptOut.objects.filter(tenant=tenant, subject_index=blind_index(email)).exists()


def withdraw(*, tenant, subject_index: str, source: str) -> bool:
    """The subject opts back in (DRP sale:opt-in); returns whether an opt-out was in force."""
    with transaction.atomic():
        removed, _ = SaleOptOut.objects.filter(tenant=tenant, subject_index=subject_index).delete()
        if removed:
            audit.record(action="privacy.opted_in", actor=f"subject:{source}", tenant=tenant, metadata={"source": source})
    return bool(removed)
