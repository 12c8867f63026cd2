"""Compliance's entries in the personal-data registry (governance.registry)."""
