"""The data map: one declaration per model (or per part of a model, see `Split`), made next to its
models in each app's personal_data.py and loaded from AppConfig.ready.

A declaration says everything the law asks of the data: its category, how a data subject is found
(a lookup path ending at a blind index), what erasure does, what export writes, when retention
counts its age from, and which fields are customer content that support staff see only under a
grant. Retention, export, erasure and the support check read this and nothing else; they never
import the apps that declared into it. `DataMap` is an object so tests (and the checks) can build
one of their own; `DATA_MAP` is the application's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Model, Q, QuerySet

from .categories import Category

DELETE = "delete"
ANONYMISE = "anonymise"
# In `content`: the bytes of the bucket object a StoredObject row records (no model field holds them).
BUCKET_OBJECT = "bucket_object"


@dataclass(frozen=True)
class Split:
    """The model holds several categories: this declaration covers the rows whose `field` is one of `values`."""

    field: str
    values: tuple[str, ...]

    @property
    def q(self) -> Q:
        return Q(**{f"{self.field}__in": list(self.values)})

    def covers(self, obj) -> bool:
        return getattr(obj, self.field, None) in self.values


@dataclass(frozen=True)
class Retention:
    """How retention treats the rows: age counted from `timestamp` (NULL never expires).

    - ``filter``: only these rows are ever due (e.g. records not yet closed are left alone);
    - ``anonymised``: a Q matching rows already anonymised; declaring it lets a rule anonymise
      (writing the declaration's ``anonymise`` values) instead of delete;
    - ``handler(declaration, ids, action) -> n``: replaces the generic delete.
    """

    timestamp: str
    filter: Q | None = None
    anonymised: Q | None = None
    handler: Callable[[Declaration, list, str], int] | None = None


@dataclass(frozen=True)
class Declaration:
    model: type[Model]
    category: str
    description: str
    subject: str | None = None
    erasure: str | None = None
    anonymise: dict = field(default_factory=dict)
    export: Callable[[Model], dict] | None = None
    # Fast export path: {output key: lookup path} read with values_list (no instances, no N+1).
    export_fields: dict | None = None
    retention: Retention | None = None
    # {field: category}: customer content support staff see only under a grant covering that category.
    content: dict = field(default_factory=dict)
    stored_object: str | None = None
    split: Split | None = None
    tenant_scoped: bool = True

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def name(self) -> str:
        return f"{self.label}:{self.category}"

    @property
    def tenant_path(self) -> str | None:
        """Path from a row to its tenant (governance.tenancy.scoping); None for platform-wide rows (accounts)."""
        if not self.tenant_scoped:
            return None
        from governance.tenancy import scoping

        # Declared tenant-scoped but without a path to a tenant: the model's claim, which the check refuses.
        return scoping.tenant_path(self.model) or getattr(self.model, "TENANT_FIELD", "tenant")

    @property
    def tenant_nullable(self) -> bool:
        path = self.tenant_path
        if path is None:
            return False
        model = self.model
        for step in path.split("__"):
            f = model._meta.get_field(step)
            if f.null:
                return True
            model = f.related_model
        return False

    @property
    def retention_filter(self) -> Q | None:
        parts = [q for q in (self.split.q if self.split else None, self.retention.filter if self.retention else None) if q]
        if not parts:
            return None
        combined = parts[0]
        for q in parts[1:]:
            combined &= q
        return combined

    @property
    def retention_actions(self) -> set[str]:
        if self.retention is not None and self.retention.anonymised is not None and self.anonymise:
            return {DELETE, ANONYMISE}
        return {DELETE}

    def covers(self, obj) -> bool:
        return self.split is None or self.split.covers(obj)


def by_subject(model: type[Model], path: str, value: str) -> QuerySet:
    """Rows of `model` whose `path` (a__b__index) equals value, as nested `fk IN (SELECT id ...)`
    semi-joins rather than joins: every step uses a foreign-key index, and a DELETE of the result
    is one plain `DELETE ... WHERE fk IN (...)` (no self-join on the primary key)."""
    head, _, rest = path.partition("__")
    if not rest:
        return model._base_manager.filter(**{head: value})
    related = model._meta.get_field(head).related_model
    return model._base_manager.filter(**{f"{head}__in": by_subject(related, rest, value).values("pk")})


class DataMap:
    def __init__(self, declarations: Iterable[Declaration] = ()):
        self._declarations: dict[str, Declaration] = {}
        self._exempt: dict[str, str] = {}
        for d in declarations:
            self._add(d)

    # --- declaring -------------------------------------------------------------------------------

    def declare(
        self,
        model: type[Model],
        *,
        category: str,
        description: str,
        subject: str | None = None,
        erasure: str | None = None,
        anonymise: dict | None = None,
        export: Callable[[Model], dict] | None = None,
        export_fields: dict | None = None,
        retention: Retention | None = None,
        content: Iterable[str] | dict = (),
        stored_object: str | None = None,
        split: Split | None = None,
        tenant_scoped: bool = True,
    ) -> Declaration:
        """Declare one model (or, with `split`, one part of it). `content` names fields of this
        category, or maps a field to another category (a job's image is an image)."""
        if category not in Category.values:
            raise ValueError(f"unknown data category {category!r}")
        if erasure not in (None, DELETE, ANONYMISE):
            raise ValueError(f"unknown erasure action {erasure!r}")
        if erasure == ANONYMISE and not anonymise:
            raise ValueError("erasure by anonymising needs the values to write (anonymise={...})")
        if erasure and not subject:
            raise ValueError("erasure needs a subject lookup path")
        content_map = dict(content) if isinstance(content, dict) else {name: category for name in content}
        return self._add(
            Declaration(
                model=model,
                category=category,
                description=description,
                subject=subject,
                erasure=erasure,
                anonymise=dict(anonymise or {}),
                export=export,
                export_fields=export_fields,
                retention=retention,
                content=content_map,
                stored_object=stored_object,
                split=split,
                tenant_scoped=tenant_scoped,
            )
        )

    def _add(self, declaration: Declaration) -> Declaration:
        same_model = self.for_model(declaration.model)
        if same_model and (declaration.split is None or any(d.split is None for d in same_model)):
            raise ValueError(f"{declaration.label} is declared twice; several declarations need a split each")
        self._declarations[declaration.name] = declaration
        return declaration

    def exempt(self, model: type[Model], *, reason: str) -> None:
        """A model with a personal field that export, erasure and retention deliberately leave alone."""
        if not reason.strip():
            raise ValueError("say why the model is exempt")
        self._exempt[model._meta.label_lower] = reason

    # --- reading ---------------------------------------------------------------------------------

    def declarations(self) -> list[Declaration]:
        return list(self._declarations.values())

    def exemptions(self) -> dict[str, str]:
        return dict(self._exempt)

    def for_model(self, model: type[Model]) -> list[Declaration]:
        label = model._meta.label_lower
        return [d for d in self._declarations.values() if d.label == label]

    def of_category(self, category: str) -> list[Declaration]:
        return [d for d in self._declarations.values() if d.category == category]

    def retained(self, category: str | None = None) -> list[Declaration]:
        """Declarations retention enforces (those with a timestamp), optionally of one category."""
        return [d for d in self._declarations.values() if d.retention is not None and category in (None, d.category)]

    def retention_actions(self, category: str) -> set[str]:
        """Actions every declaration of the category supports (delete always is)."""
        found = self.retained(category)
        if not found:
            return {DELETE}
        return set.intersection(*(d.retention_actions for d in found))

    def category_of(self, obj_or_model, **values) -> str | None:
        """The category of a row (split models: by the row's split field, or `values` for a model)."""
        model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
        for d in self.for_model(model):
            if d.split is None:
                return d.category
            value = values.get(d.split.field, getattr(obj_or_model, d.split.field, None))
            if value in d.split.values:
                return d.category
        return None

    # --- content ---------------------------------------------------------------------------------

    def content_categories(self, model: type[Model]) -> set[str]:
        return {c for d in self.for_model(model) for c in d.content.values()}

    def content_category(self, model: type[Model], name: str) -> str | None:
        """The category of a content field when it differs from its row's (e.g. a job's image)."""
        for d in self.for_model(model):
            category = d.content.get(name)
            if category is not None and category != d.category:
                return category
        return None

    def content_models(self) -> list[str]:
        """Labels of models holding content, nameable one object at a time in a support request."""
        return sorted({d.label for d in self._declarations.values() if d.content})

    def content_choices(self) -> list[tuple[str, str]]:
        """Categories a support request may name: those some declaration holds content of."""
        used = {c for d in self._declarations.values() for c in d.content.values()}
        return [(c.value, c.label) for c in Category if c.value in used]

    def content_q(self, model: type[Model], categories: set[str]) -> Q | None:
        """Rows of `model` holding content of `categories`: all (Q()), some (a split), or none (None)."""
        parts = []
        for d in self.for_model(model):
            if categories & set(d.content.values()):
                if d.split is None:
                    return Q()
                parts.append(d.split.q)
        if not parts:
            return None
        combined = parts[0]
        for q in parts[1:]:
            combined |= q
        return combined

    # --- a subject's rows ------------------------------------------------------------------------

    def rows(self, declaration: Declaration, *, tenant_id, subject_index: str) -> QuerySet:
        """The subject's rows of one declaration in one tenant (platform-wide rows, e.g. accounts, unscoped)."""
        queryset = by_subject(declaration.model, declaration.subject, subject_index)
        if declaration.split is not None:
            queryset = queryset.filter(declaration.split.q)
        if declaration.tenant_path is not None:
            queryset = queryset.filter(**{f"{declaration.tenant_path}": tenant_id})
        return queryset

    def subject_declarations(self) -> list[Declaration]:
        return [d for d in self._declarations.values() if d.subject]

    def children_first(self, declarations: list[Declaration] | None = None) -> list[Declaration]:
        """Declarations ordered so a model comes before every model it points to (delete children first)."""
        entries = list(declarations if declarations is not None else self.subject_declarations())
        ordered: list[Declaration] = []
        state: dict = {}

        def visit(entry):
            if state.get(entry.name) == "done":
                return
            state[entry.name] = "visiting"
            for other in entries:
                if other.model is entry.model or state.get(other.name) == "visiting":
                    continue
                if any(f.is_relation and f.many_to_one and f.related_model is entry.model for f in other.model._meta.concrete_fields):
                    visit(other)
            state[entry.name] = "done"
            ordered.append(entry)

        for entry in sorted(entries, key=lambda e: e.name):
            visit(entry)
        return ordered


DATA_MAP = DataMap()
declare = DATA_MAP.declare
exempt = DATA_MAP.exempt
