"""The Django admin, one module per concept (Django imports this package at start-up)."""

from governance.admin import audit, consent, periodic, retention, schedules, storage, support, tenancy  # noqa: F401
