"""The platform retention defaults live with the categories (categories.SPECS); after every migrate
this creates the RetentionPolicy rows that are missing. It never changes an existing row: the
operator's edits stand."""

from django.db import DEFAULT_DB_ALIAS

from .categories import SPECS


def ensure_retention_defaults(*, apps, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create the missing platform defaults; returns the categories created."""
    try:
        policy = apps.get_model("governance", "RetentionPolicy")
    except LookupError:  # migrating towards a state before retention existed
        return []
    existing = set(policy._base_manager.using(using).values_list("category", flat=True))
    created = []
    for category, spec in SPECS.items():
        default = spec.retention
        if default is None or category in existing:
            continue
        policy._base_manager.using(using).create(
            category=category,
            max_age=default.max_age,
            min_age=default.min_age,
            max_age_bound=default.max_age_bound,
            action=default.action,
            enabled=default.enabled,
            tenant_may_override=default.tenant_may_override,
            description=default.explanation,
        )
        created.append(str(category))
    return created


def on_post_migrate(sender, *, apps, using=DEFAULT_DB_ALIAS, plan=None, **kwargs):
    ensure_retention_defaults(apps=apps, using=using)
