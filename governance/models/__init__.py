"""Governance models, one module per concept; imported here so Django finds them under governance.models."""

from .audit import AuditEvent, AuditHead, AuditQuerySet
from .consent import (
    ConsentOverview,
    ConsentQuerySet,
    ConsentRecord,
    ConsentRecordQuerySet,
    ConsentRevocation,
    ConsentRevocationQuerySet,
    ImmutableRow,
    ProviderKey,
    Subprocessor,
    TermsVersion,
)
from .periodic import PeriodicTaskRun
from .retention import (
    LegalHold,
    RetentionAction,
    RetentionPolicy,
    RetentionProgress,
    RetentionRun,
    TenantRetentionRule,
)
from .storage import IssuedLink, StoredObject, SweepRun
from .support import AccessRequest, SupportStaff
from .tenancy import ApiKey, KeyCanary, Membership, Tenant, User, UserManager

__all__ = [
    "PeriodicTaskRun",
    "Tenant",
    "UserManager",
    "User",
    "Membership",
    "ApiKey",
    "KeyCanary",
    "AuditQuerySet",
    "AuditEvent",
    "AuditHead",
    "StoredObject",
    "IssuedLink",
    "SweepRun",
    "RetentionAction",
    "LegalHold",
    "RetentionPolicy",
    "TenantRetentionRule",
    "RetentionRun",
    "RetentionProgress",
    "SupportStaff",
    "AccessRequest",
    "ProviderKey",
    "TermsVersion",
    "Subprocessor",
    "ConsentQuerySet",
    "ImmutableRow",
    "ConsentRecordQuerySet",
    "ConsentRecord",
    "ConsentRevocationQuerySet",
    "ConsentRevocation",
    "ConsentOverview",
]
