"""The one personal-data map every app declares into: categories (categories.py), declarations
(declarations.py), their system checks (checks.py) and the retention defaults in the database
(defaults.py)."""

from .categories import SPECS, Category, CategorySpec, RetentionDefault
from .declarations import (
    ANONYMISE,
    BUCKET_OBJECT,
    DATA_MAP,
    DELETE,
    DataMap,
    Declaration,
    Retention,
    Split,
    declare,
    exempt,
)

__all__ = [
    "ANONYMISE", "BUCKET_OBJECT", "DATA_MAP", "DELETE", "SPECS", "Category", "CategorySpec", "DataMap", "Declaration",
    "Retention", "RetentionDefault", "Split", "declare", "exempt",
]
