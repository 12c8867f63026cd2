"""Retention rules: a platform default per data category (governance.datamap.categories, ensured
in the database after migrate) and tenant overrides within its bounds.

What each category holds, and when its rows age, is declared in the data map
(governance.datamap); governance.retention.enforce applies these rules to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from governance import audit
from governance.datamap import DATA_MAP
from governance.datamap.categories import platform_wide
from governance.errors import SightguardError
from governance.models import RetentionPolicy, TenantRetentionRule

# Categories whose rows form one platform-wide structure: tenants may not override their rule.
PLATFORM_ONLY = platform_wide()


def allowed_actions(category: str) -> set[str]:
    """Actions every declaration of the category supports (delete always is)."""
    return DATA_MAP.retention_actions(category)


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    category: str
    max_age: timedelta
    action: str
    enabled: bool
    source: str  # "platform" or "tenant"


def check_tenant_rule(*, category: str, max_age: timedelta, action: str, enabled: bool) -> None:
    """Refuse an override outside the platform default's bounds (stable codes)."""
    policy = RetentionPolicy.objects.filter(category=category).first()
    if policy is None:
        raise SightguardError("There is no platform default for this category yet.", code="retention_no_policy")
    if category in PLATFORM_ONLY or not policy.tenant_may_override:
        raise SightguardError("Only the platform operator sets this category's rule.", code="retention_platform_only")
    if action not in allowed_actions(category):
        raise SightguardError("This category's data cannot be anonymised, only deleted.", code="retention_action_unsupported")
    if not enabled and policy.max_age_bound is not None:
        raise SightguardError(
            f"This category must be deleted within {policy.max_age_bound}; it cannot be disabled.",
            code="retention_out_of_bounds",
        )
    if max_age < policy.min_age or (policy.max_age_bound is not None and max_age > policy.max_age_bound):
        upper = policy.max_age_bound if policy.max_age_bound is not None else "no limit"
        raise SightguardError(
            f"The maximum age must lie between {policy.min_age} and {upper}.", code="retention_out_of_bounds"
        )


def check_policy(*, category: str, max_age: timedelta, action: str, min_age: timedelta, max_age_bound: timedelta | None) -> None:
    if action not in allowed_actions(category):
        raise SightguardError("This category's data cannot be anonymised, only deleted.", code="retention_action_unsupported")
    if max_age_bound is not None and min_age > max_age_bound:
        raise SightguardError("The minimum bound is above the maximum bound.", code="retention_out_of_bounds")
    if max_age < min_age or (max_age_bound is not None and max_age > max_age_bound):
        raise SightguardError("The default maximum age lies outside its own bounds.", code="retention_out_of_bounds")


def save_tenant_rule(*, rule: TenantRetentionRule, actor, fields: Sequence[str] = ()) -> TenantRetentionRule:
    """Create or change a tenant's override (checked against the bounds), audited (`fields`: the
    names of the fields the person changed, for the event)."""
    check_tenant_rule(category=rule.category, max_age=rule.max_age, action=rule.action, enabled=rule.enabled)
    with transaction.atomic():
        created = rule.pk is None
        rule.updated_at = timezone.now()
        rule.save()
        audit.record(
            action="retention.rule_set" if created else "retention.rule_changed",
            actor=actor,
            tenant=rule.tenant_id,
            target=rule,
            metadata={
                "category": rule.category,
                "max_age_seconds": int(rule.max_age.total_seconds()),
                "action": rule.action,
                "enabled": rule.enabled,
                "fields": list(fields),
            },
        )
    return rule


def delete_tenant_rule(*, rule: TenantRetentionRule, actor) -> None:
    """Drop an override: the platform default applies again."""
    with transaction.atomic():
        audit.record(
            action="retention.rule_removed", actor=actor, tenant=rule.tenant_id, target=rule, metadata={"category": rule.category}
        )
        rule.delete()


def save_policy(*, policy: RetentionPolicy, actor, fields: Sequence[str] = ()) -> RetentionPolicy:
    check_policy(
        category=policy.category,
        max_age=policy.max_age,
        action=policy.action,
        min_age=policy.min_age,
        max_age_bound=policy.max_age_bound,
    )
    with transaction.atomic():
        policy.updated_at = timezone.now()
        policy.save()
        audit.record(
            action="retention.policy_set",
            actor=actor,
            target=policy,
            metadata={
                "category": policy.category,
                "max_age_seconds": int(policy.max_age.total_seconds()),
                "min_age_seconds": int(policy.min_age.total_seconds()),
                "max_age_bound_seconds": int(policy.max_age_bound.total_seconds()) if policy.max_age_bound else None,
                "action": policy.action,
                "enabled": policy.enabled,
                "fields": list(fields),
            },
        )
    return policy


class RuleBook:
    """Every rule, loaded once per run (they are few)."""

    def __init__(self):
        self.platform = {p.category: p for p in RetentionPolicy.objects.all()}
        self.tenant = {(r.tenant_id, r.category): r for r in TenantRetentionRule.objects.all()}

    def rule(self, category: str, tenant_id) -> Rule | None:
        policy = self.platform.get(category)
        if policy is None:
            return None
        override = self.tenant.get((tenant_id, category))
        if override is not None and category not in PLATFORM_ONLY and policy.tenant_may_override:
            # Clamp: a bound tightened after the override was saved still wins.
            max_age = max(override.max_age, policy.min_age)
            if policy.max_age_bound is not None:
                max_age = min(max_age, policy.max_age_bound)
            # A tenant may switch retention off only where the platform sets no upper bound; switching
            # it on (to delete sooner) is always theirs to do.
            enabled = override.enabled or (policy.enabled and policy.max_age_bound is not None)
            action = override.action if override.action in allowed_actions(category) else policy.action
            return Rule(category, max_age, action, enabled, "tenant")
        return Rule(category, policy.max_age, policy.action, policy.enabled, "platform")


def effective_rule(*, category: str, tenant_id) -> Rule | None:
    return RuleBook().rule(category, tenant_id)
