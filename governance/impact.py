"""What an irreversible consent step stops, counted before a person confirms it: publishing terms
that require re-acceptance, and a tenant revoking its consent. Searches are counted from the data
map's usage events (governance never imports the search app)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from governance import consent
from governance.datamap import DATA_MAP
from governance.datamap.categories import Category
from governance.models import Tenant, TermsVersion

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Impact:
    tenants: list[Tenant]
    searches_last_week: int

    @property
    def tenant_count(self) -> int:
        return len(self.tenants)


def searches_since(*, tenant_ids, since: datetime) -> int:
    """Searches the tenants ran since `since` (usage events record that a search happened, not what)."""
    total = 0
    for entry in DATA_MAP.of_category(Category.USAGE_EVENTS):
        timestamp = entry.retention.timestamp if entry.retention else "created_at"
        total += entry.model._default_manager.filter(
            **{f"{entry.tenant_path}__in": list(tenant_ids), f"{timestamp}__gte": since}
        ).count()
    return total


def publication_impact(*, terms: TermsVersion, now: datetime | None = None) -> Impact:
    """Publishing a version that requires re-acceptance stops every tenant whose consent is in force
    until one of its admins accepts again; one that does not stops nobody."""
    now = now or timezone.now()
    if not terms.requires_reacceptance:
        return Impact(tenants=[], searches_last_week=0)
    stopped = [
        t for t in Tenant.objects.order_by("slug")
        if consent.consent_status(tenant=t).status == consent.Status.ACCEPTED
    ]
    return Impact(tenants=stopped, searches_last_week=searches_since(tenant_ids=[t.pk for t in stopped], since=now - WINDOW))


def revocation_impact(*, tenant: Tenant, now: datetime | None = None) -> Impact:
    """Revoking stops the tenant's image search at once (queued jobs are cancelled)."""
    now = now or timezone.now()
    return Impact(tenants=[tenant], searches_last_week=searches_since(tenant_ids=[tenant.pk], since=now - WINDOW))
