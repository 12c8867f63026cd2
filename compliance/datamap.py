"""What export and erasure share: the registry's entries in dependency order, scoped to one subject."""

from django.db.models import QuerySet

from governance.datamap import registry
from governance.datamap.registry import PersonalData
from governance.tenancy import scoping


def by_subject(model, path: str, value: str) -> QuerySet:
    """Rows of `model` whose `path` (a__b__index) equals value, as nested `fk IN (SELECT id ...)`
    semi-joins rather than joins: every step uses a foreign-key index, and a DELETE of the result
    is one plain `DELETE ... WHERE fk IN (...)` (no self-join on the primary key)."""
    head, _, rest = path.partition("__")
    if not rest:
        return model._base_manager.filter(**{head: value})
    related = model._meta.get_field(head).related_model
    return model._base_manager.filter(**{f"{head}__in": by_subject(related, rest, value).values("pk")})


def rows(entry: PersonalData, *, tenant_id, subject_index: str) -> QuerySet:
    """The subject's rows of one entry in one tenant (platform-wide models, e.g. accounts, unscoped)."""
    queryset = by_subject(entry.model, entry.subject, subject_index)
    path = scoping.tenant_path(entry.model)
    return queryset if path is None else queryset.filter(**{path: tenant_id})


def children_first(entries: list[PersonalData] | None = None) -> list[PersonalData]:
    """Entries ordered so a model comes before every model it points to (delete children first)."""
    entries = list(entries if entries is not None else registry.entries())
    by_model = {e.model: e for e in entries}
    ordered: list[PersonalData] = []
    state: dict = {}

    def visit(entry):
        if state.get(entry.model) == "done":
            return
        state[entry.model] = "visiting"
        # Everything that points at this model goes first.
        for other in entries:
            if other.model is entry.model or state.get(other.model) == "visiting":
                continue
            if any(f.is_relation and f.many_to_one and f.related_model is entry.model for f in other.model._meta.concrete_fields):
                visit(other)
        state[entry.model] = "done"
        ordered.append(entry)

    for entry in sorted(entries, key=lambda e: e.model._meta.label_lower):
        visit(entry)
    return [by_model[e.model] for e in ordered]
