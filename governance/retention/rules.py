"""Retention: rules per category, enforced in keyset batches, stopped by legal holds.

Apps register what they store (``register_target``, from their ``personal_data.py``), so this module
walks every app's data without importing the apps. One line registers a model::

    retention.register_target(SearchResult, category=RetentionCategory.SEARCH_RESULT,
                              timestamp_field="created_at", subject="job__created_by__email_index")

``enforce`` deletes (or anonymises) what is older than its rule allows: per target and tenant, in
primary-key order, ``BATCH_SIZE`` rows per short transaction that also moves the run's cursor, so a
killed run resumes where it stopped. Rows under a legal hold (tenant-wide, subject, object) are
never selected. Memory stays flat: a batch holds at most ``BATCH_SIZE`` ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from governance import audit
from governance.errors import SightguardError
from governance.models import (
    RetentionAction,
    RetentionCategory,
    RetentionPolicy,
    TenantRetentionRule,
)
from governance.tenancy import scoping

# Categories whose rows form one platform-wide structure: tenants may not override their rule.
PLATFORM_ONLY = {RetentionCategory.AUDIT_EVENT}


@dataclass(frozen=True)
class Target:
    """One kind of stored thing retention looks after."""

    model: type[models.Model]
    category: str
    timestamp_field: str
    tenant_field: str | None = "tenant"
    subject: str | None = None
    anonymise: dict = field(default_factory=dict)
    anonymised: Q | None = None
    stored_object: str | None = None
    filter: Q | None = None
    handler: Callable[[Target, list, str], int] | None = None
    name: str = ""

    @property
    def actions(self) -> set[str]:
        return {RetentionAction.DELETE, RetentionAction.ANONYMISE} if self.anonymise else {RetentionAction.DELETE}

    @property
    def tenant_nullable(self) -> bool:
        return self.tenant_field is not None and self.model._meta.get_field(self.tenant_field).null


_targets: dict[str, Target] = {}


def register_target(
    model: type[models.Model],
    *,
    category: str,
    timestamp_field: str,
    tenant_field: str | None = "",
    subject: str | None = None,
    anonymise: dict | None = None,
    anonymised: Q | None = None,
    stored_object: str | None = None,
    filter: Q | None = None,  # noqa: A002
    handler: Callable[[Target, list, str], int] | None = None,
    name: str | None = None,
) -> Target:
    """Put a model (or a filtered part of it) under the rule of ``category``.

    - ``timestamp_field``: an item's age counts from here (rows where it is NULL never expire).
    - ``tenant_field``: by default the model's tenant path (governance.tenancy.scoping); None
      for rows that belong to no tenant.
    - ``subject``: lookup path to a blind index, so subject holds can spare a person's rows.
    - ``anonymise``: {field: value} written when the rule says anonymise (values are written raw,
      as SQL literals, so encrypted fields hold a plain ""); ``anonymised``: a Q matching rows
      already done, so they are not rewritten every hour.
    - ``stored_object``: a FK to StoredObject whose bucket object goes with the row.
    - ``handler(target, ids, action) -> n``: replaces the generic delete/anonymise.
    """
    if category not in RetentionCategory.values:
        raise ValueError(f"unknown retention category {category!r}")
    model._meta.get_field(timestamp_field)
    target = Target(
        model=model,
        category=category,
        timestamp_field=timestamp_field,
        tenant_field=scoping.tenant_path(model) if tenant_field == "" else tenant_field,
        subject=subject,
        anonymise=dict(anonymise or {}),
        anonymised=anonymised,
        stored_object=stored_object,
        filter=filter,
        handler=handler,
        name=name or f"{model._meta.label_lower}:{category}",
    )
    _targets[target.name] = target
    return target


def targets(category: str | None = None) -> list[Target]:
    return [t for t in _targets.values() if category in (None, t.category)]


def allowed_actions(category: str) -> set[str]:
    """Actions every target of the category supports (delete always is)."""
    found = targets(category)
    if not found:
        return {RetentionAction.DELETE}
    return set.intersection(*(t.actions for t in found))


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


def save_tenant_rule(*, rule: TenantRetentionRule, actor) -> TenantRetentionRule:
    """Create or change a tenant's override (checked against the bounds), audited."""
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


def save_policy(*, policy: RetentionPolicy, actor) -> RetentionPolicy:
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
