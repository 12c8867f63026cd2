"""The one vocabulary of data categories: retention rules, export sections, erasure, support scopes
and the admin all speak it. Each category carries its description and, where retention deletes it,
the platform default (ensured in the database by governance.datamap.defaults)."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import models

HOUR, DAY, MONTH = timedelta(hours=1), timedelta(days=1), timedelta(days=30)


class Category(models.TextChoices):
    ACCOUNT = "account", "Member accounts"
    CONSENT_EVIDENCE = "consent_evidence", "Consent evidence"
    TRANSIENT_IMAGES = "transient_images", "Transient images"
    RETAINED_IMAGES = "retained_images", "Retained cleaned images (tenant opt-in)"
    SEARCH_TEXT = "search_text", "Search contexts and descriptions"
    SEARCH_RESULTS = "search_results", "Search results"
    USAGE_EVENTS = "usage_events", "Usage events"
    EXPORT_ARCHIVES = "export_archives", "Export archives"
    PRIVACY_REQUESTS = "privacy_requests", "Data-subject requests"
    AUDIT_EVENTS = "audit_events", "Audit events"
    SUPPORT_ACCESS = "support_access", "Support access requests"


@dataclass(frozen=True)
class RetentionDefault:
    """The platform's rule for a category and the bounds a tenant's override must keep."""

    max_age: timedelta
    min_age: timedelta
    max_age_bound: timedelta | None
    explanation: str
    action: str = "delete"
    enabled: bool = True
    tenant_may_override: bool = True


@dataclass(frozen=True)
class CategorySpec:
    description: str
    retention: RetentionDefault | None = None  # None: retention never deletes this category
    # One platform-wide structure (the audit chain): enforced once across tenants, rules are the operator's.
    platform_wide: bool = False


SPECS: dict[str, CategorySpec] = {
    Category.ACCOUNT: CategorySpec(
        "Sign-in accounts, memberships and API key prefixes. Kept while the person is a member; erasure removes them."
    ),
    Category.CONSENT_EVIDENCE: CategorySpec(
        "Which generative-AI terms a tenant accepted or revoked, and when. Kept as evidence; erasure only removes who acted."
    ),
    Category.TRANSIENT_IMAGES: CategorySpec(
        "Uploaded images waiting for their search, and short-lived copies shown to support.",
        RetentionDefault(
            HOUR, timedelta(minutes=5), HOUR,
            "Uploaded images waiting for their search. Each is deleted as soon as its job ends; this rule is the "
            "backstop for jobs that never end. One hour at most: a tenant may shorten it, never lengthen it.",
        ),
    ),
    Category.RETAINED_IMAGES: CategorySpec(
        "Cleaned images a tenant chose to keep.",
        RetentionDefault(
            30 * DAY, HOUR, 365 * DAY,
            "Cleaned images a tenant chose to keep (off by default). 30 days, adjustable from one hour to a year.",
        ),
    ),
    Category.SEARCH_TEXT: CategorySpec(
        "Image searches: the context a member typed and the description the vision model wrote.",
        RetentionDefault(
            30 * DAY, HOUR, 365 * DAY,
            "What a member typed as context and what the vision model said about the image. Deleted with the job "
            "after 30 days; a tenant may instead anonymise (blank both, keep the job's status and timings), "
            "between one hour and a year.",
        ),
    ),
    Category.SEARCH_RESULTS: CategorySpec(
        "The documents each image search matched, with rank and score.",
        RetentionDefault(
            30 * DAY, HOUR, 365 * DAY,
            "Documents a search matched. Same lifetime as the description they were found from: 30 days, "
            "adjustable from one hour to a year.",
        ),
    ),
    Category.USAGE_EVENTS: CategorySpec(
        "That a search happened (tenant, time, provider, latency), never what was searched.",
        RetentionDefault(
            395 * DAY, 30 * DAY, 25 * MONTH,
            "That a search happened (tenant, time, provider, latency) - never what was searched. Kept 13 months so a "
            "year can be compared with the last; between 30 days and 25 months.",
        ),
    ),
    Category.EXPORT_ARCHIVES: CategorySpec(
        "A data subject's export archive, behind a one-hour link.",
        RetentionDefault(
            HOUR, timedelta(minutes=5), HOUR,
            "A data subject's export archive. Its link dies after an hour, so does the archive; never longer.",
        ),
    ),
    Category.PRIVACY_REQUESTS: CategorySpec(
        "Data-subject requests: kind, dates, outcome, and the requester's e-mail until the request closes.",
        RetentionDefault(
            730 * DAY, 730 * DAY, 1095 * DAY,
            "Data-subject request records (kind, dates, outcome; the e-mail is blanked by erasure). CCPA regs 7101 "
            "require at least 24 months, counted from the answer; open requests never expire.",
        ),
    ),
    Category.AUDIT_EVENTS: CategorySpec(
        "The hash-chained audit log.",
        RetentionDefault(
            7 * 365 * DAY, 365 * DAY, None,
            "The hash-chained audit log is evidence: kept for ever by default (disabled). Only the operator may "
            "switch pruning on; it then removes the oldest rows as one prefix of the chain and moves the chain's "
            "anchor, stopping at any tenant under a legal hold.",
            enabled=False,
            tenant_may_override=False,
        ),
        platform_wide=True,
    ),
    Category.SUPPORT_ACCESS: CategorySpec(
        "Support access requests: ticket, reason, scope, decision and when the access ended.",
        RetentionDefault(
            90 * DAY, 30 * DAY, 730 * DAY,
            "Support access requests and their grants, after they ended. 90 days, between 30 days and two years.",
        ),
    ),
}


def retention_choices() -> list[tuple[str, str]]:
    """The categories retention rules are set for (those with a platform default)."""
    return [(c.value, c.label) for c in Category if SPECS[c].retention is not None]


def platform_wide() -> set[str]:
    return {c.value for c in Category if SPECS[c].platform_wide}
