"""Consent to the generative-AI terms: nothing leaves for a provider's company without it.

The operator publishes terms versions naming subprocessors (each tied to a provider key). A tenant
admin accepts the current version; a later revocation withdraws it. A tenant's consent is decided
by its latest consent record only:

- none, or revoked               → nothing may be sent;
- to the current version         → the providers that version names;
- to an older version            → still valid unless a version published since requires
                                   re-acceptance; it covers the providers both versions name.

The offline provider (subprocessor None) sends nothing out and needs no consent.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from governance import audit
from governance.errors import SightguardError
from governance.models import (
    ConsentRecord,
    ConsentRevocation,
    Membership,
    Subprocessor,
    Tenant,
    TermsVersion,
)


class Status:
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    REVOKED = "revoked"
    REACCEPTANCE_REQUIRED = "reacceptance_required"
    NO_TERMS = "no_terms"


@dataclass(frozen=True)
class ConsentStatus:
    status: str
    current: TermsVersion | None
    record: ConsentRecord | None
    providers: frozenset[str] = field(default_factory=frozenset)

    @property
    def current_version(self) -> str | None:
        return self.current.version if self.current else None

    @property
    def accepted_version(self) -> str | None:
        return self.record.terms.version if self.record and self.status != Status.REVOKED else None

    @property
    def accepted_at(self) -> datetime | None:
        return self.record.accepted_at if self.record and self.status != Status.REVOKED else None

    @property
    def provider_list(self) -> list[str]:
        return sorted(self.providers)

    def covers(self, provider_key: str | None) -> bool:
        return provider_key is None or provider_key in self.providers


def current_terms() -> TermsVersion | None:
    """The latest published version: the one tenant admins are asked to accept."""
    return (
        TermsVersion.objects.filter(published_at__isnull=False, published_at__lte=timezone.now())
        .order_by("-published_at", "-id")
        .first()
    )


def _providers(terms: TermsVersion) -> frozenset[str]:
    return frozenset(terms.subprocessors.values_list("provider_key", flat=True))


def consent_status(*, tenant: Tenant | int) -> ConsentStatus:
    """The tenant's consent now, and the providers it covers."""
    tenant_id = getattr(tenant, "pk", tenant)
    current = current_terms()
    record = (
        ConsentRecord.objects.filter(tenant_id=tenant_id)
        .select_related("terms", "revocation")
        .order_by("-accepted_at", "-id")
        .first()
    )
    if current is None:
        return ConsentStatus(Status.NO_TERMS, None, record)
    if record is None:
        return ConsentStatus(Status.NOT_ACCEPTED, current, None)
    if hasattr(record, "revocation"):
        return ConsentStatus(Status.REVOKED, current, record)
    if record.terms_id == current.pk:
        return ConsentStatus(Status.ACCEPTED, current, record, _providers(current))
    newer_requiring = TermsVersion.objects.filter(
        published_at__gt=record.terms.published_at, published_at__lte=timezone.now(), requires_reacceptance=True
    )
    if newer_requiring.exists():
        return ConsentStatus(Status.REACCEPTANCE_REQUIRED, current, record)
    return ConsentStatus(Status.ACCEPTED, current, record, _providers(current) & _providers(record.terms))


def require_consent(*, tenant: Tenant | int, provider_key: str | None) -> None:
    """Refuse (403 consent_required, naming the version to accept) unless consent covers the provider."""
    if provider_key is None:
        return
    status = consent_status(tenant=tenant)
    if status.covers(provider_key):
        return
    if status.current is None:
        raise SightguardError(
            "No terms naming this provider are published: image search with it is not available.",
            code="consent_required",
            status=403,
            version=None,
            provider=provider_key,
        )
    raise SightguardError(
        f"A tenant admin must accept the generative-AI terms version {status.current.version} "
        f"before searches are sent to {provider_key}.",
        code="consent_required",
        status=403,
        version=status.current.version,
        provider=provider_key,
    )


def withdrawn(*, tenant: Tenant | int, provider_key: str | None) -> str | None:
    """For the worker, right before a provider call: None if it may send, else the job's error code.

    Decided as consent_status() decides, read fresh every time (a revocation stops the next call),
    in two queries for the common cases: the current terms (with whether they name the provider)
    and the tenant's latest record. Consent to an older version takes consent_status()'s full path.
    """
    if provider_key is None:
        return None
    current = (
        TermsVersion.objects.filter(published_at__isnull=False, published_at__lte=timezone.now())
        .annotate(names=Exists(Subprocessor.objects.filter(terms=OuterRef("pk"), provider_key=provider_key)))
        .order_by("-published_at", "-id")
        .only("id")
        .first()
    )
    record = (
        ConsentRecord.objects.filter(tenant_id=getattr(tenant, "pk", tenant))
        .select_related("revocation")
        .only("id", "terms_id", "revocation__id")
        .order_by("-accepted_at", "-id")
        .first()
    )
    if current is None or record is None:
        return "consent_required"
    if hasattr(record, "revocation"):
        return "consent_revoked"
    if record.terms_id == current.pk:
        return None if current.names else "consent_required"
    status = consent_status(tenant=tenant)
    if status.covers(provider_key):
        return None
    return "consent_revoked" if status.status == Status.REVOKED else "consent_required"


def _require_admin(*, tenant: Tenant, actor) -> None:
    if not Membership.objects.filter(tenant=tenant, user=actor, role=Membership.Role.ADMIN).exists():
        raise SightguardError("Only the tenant's admins may do this.", code="tenant_admin_required", status=403)


def accept(*, tenant: Tenant, version: str, actor) -> ConsentRecord:
    """A tenant admin accepts the current terms version. Accepting what is already in force is a no-op."""
    _require_admin(tenant=tenant, actor=actor)
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # one consent change at a time
        current = current_terms()
        if current is None or str(version) != current.version:
            raise SightguardError(
                "Only the current terms version can be accepted.",
                code="terms_version_not_current",
                status=409,
                version=current.version if current else None,
            )
        status = consent_status(tenant=tenant)
        if status.status == Status.ACCEPTED and status.record.terms_id == current.pk:
            return status.record
        record = ConsentRecord.objects.create(
            tenant=tenant, terms=current, accepted_by=actor, accepted_at=timezone.now()
        )
        audit.record(
            action="consent.accepted",
            actor=actor,
            tenant=tenant,
            target=record,
            metadata={"version": current.version, "providers": sorted(_providers(current))},
        )
    return record


def revoke(*, tenant: Tenant, actor) -> ConsentRevocation:
    """A tenant admin withdraws the tenant's consent: no new job is sent out, queued ones are cancelled."""
    _require_admin(tenant=tenant, actor=actor)
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        status = consent_status(tenant=tenant)
        if status.record is None or status.status == Status.REVOKED:
            raise SightguardError("There is no consent to revoke.", code="no_active_consent", status=409)
        revocation = ConsentRevocation.objects.create(
            tenant=tenant, record=status.record, revoked_by=actor, revoked_at=timezone.now()
        )
        audit.record(
            action="consent.revoked",
            actor=actor,
            tenant=tenant,
            target=status.record,
            metadata={"version": status.record.terms.version},
        )
    return revocation


def publish(*, terms: TermsVersion, actor) -> TermsVersion:
    """The operator publishes a draft version; from now on it is the one to accept."""
    with transaction.atomic():
        locked = TermsVersion.objects.select_for_update().get(pk=terms.pk)
        if locked.published_at is not None:
            raise SightguardError("This version is published already.", code="terms_already_published", status=409)
        now = timezone.now()
        TermsVersion.objects.filter(pk=terms.pk).update(published_at=now)
        audit.record(
            action="terms.published",
            actor=actor,
            target=locked,
            metadata={
                "version": locked.version,
                "requires_reacceptance": locked.requires_reacceptance,
                "providers": sorted(_providers(locked)),
            },
        )
    terms.refresh_from_db()
    return terms
