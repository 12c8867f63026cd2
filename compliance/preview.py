"""What an erasure or export will touch, before it runs: counts per category of the data map and per
bucket prefix, and the legal holds that will keep things. Read-only; the reviewer's confirmation
page shows it. Built on governance.datamap like the engines themselves, so it names what they will
walk and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from governance.datamap import ANONYMISE, DATA_MAP, DELETE
from governance.datamap.categories import Category
from governance.models import LegalHold, StoredObject
from governance.retention import holds
from governance.storage import objectstore

from .models import DataSubjectRequest

Kind = DataSubjectRequest.Kind
ACTION_WORDS = {DELETE: "deleted", ANONYMISE: "anonymised (the record stays, without the person)", "export": "exported"}


@dataclass(frozen=True)
class CategoryCount:
    category: str
    label: str
    action: str
    rows: int
    held: int = 0


@dataclass(frozen=True)
class PrefixCount:
    prefix: str
    objects: int
    held: int = 0


@dataclass(frozen=True)
class Preview:
    request: DataSubjectRequest
    categories: list[CategoryCount]
    objects: list[PrefixCount]
    # "tenant" or "subject" when a hold keeps everything (the erasure then ends as held), else "".
    held_whole: str = ""
    holds: list[LegalHold] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(c.rows for c in self.categories)

    @property
    def total_objects(self) -> int:
        return sum(p.objects for p in self.objects)

    @property
    def total_held(self) -> int:
        return sum(c.held for c in self.categories) + sum(p.held for p in self.objects)


def preview(*, request: DataSubjectRequest) -> Preview:
    """What approving `request` (an erasure, access or portability request) will touch now."""
    if request.kind not in (Kind.ERASURE, Kind.ACCESS, Kind.PORTABILITY):
        return Preview(request=request, categories=[], objects=[])
    erasure = request.kind == Kind.ERASURE
    snapshot = holds.Snapshot()
    tenant_id, subject = request.tenant_id, request.subject_index
    held_whole = ""
    if snapshot.tenant_is_held(tenant_id):
        held_whole = "tenant"
    elif subject in snapshot.subject_indexes(tenant_id):
        held_whole = "subject"

    totals: dict[tuple[str, str], list[int]] = {}
    for entry in DATA_MAP.subject_declarations():
        if erasure:
            action = entry.erasure
        else:
            action = "export" if (entry.export or entry.export_fields) else None
        if not action:
            continue
        rows = DATA_MAP.rows(entry, tenant_id=tenant_id, subject_index=subject)
        count = rows.count()
        if not count:
            continue
        held = _held(rows, tenant_id, snapshot) if erasure else 0
        pair = totals.setdefault((entry.category, action), [0, 0])
        pair[0] += count
        pair[1] += held
    labels = dict(Category.choices)
    categories = [
        CategoryCount(category=c, label=str(labels.get(c, c)), action=a, rows=n, held=h)
        for (c, a), (n, h) in sorted(totals.items())
    ]
    return Preview(
        request=request,
        categories=categories,
        objects=_objects(request, snapshot) if erasure else [],
        held_whole=held_whole,
        holds=list(_holds(request)),
    )


def _held(rows: QuerySet, tenant_id, snapshot: holds.Snapshot) -> int:
    """Rows an object hold keeps (the row itself, or the row it belongs to)."""
    model = rows.model
    q = Q()
    ids = snapshot.object_ids(tenant_id, model)
    if ids:
        q |= Q(pk__in=list(ids))
    for f in model._meta.concrete_fields:
        if f.is_relation and f.many_to_one:
            parents = snapshot.object_ids(tenant_id, f.related_model)
            if parents:
                q |= Q(**{f"{f.name}__in": list(parents)})
    return rows.filter(q).count() if q else 0


def _subject_objects(request) -> QuerySet:
    live = StoredObject.objects.filter(tenant_id=request.tenant_id, deleted_at__isnull=True)
    found = Q(subject_index=request.subject_index)
    for entry in DATA_MAP.subject_declarations():
        if entry.stored_object:
            rows = DATA_MAP.rows(entry, tenant_id=request.tenant_id, subject_index=request.subject_index)
            found |= Q(pk__in=rows.exclude(**{f"{entry.stored_object}__isnull": True}).values(entry.stored_object))
    return live.filter(found)


def _objects(request, snapshot: holds.Snapshot) -> list[PrefixCount]:
    prefixes = sorted(set(objectstore.PREFIXES.values()), key=len, reverse=True)
    held_ids = snapshot.object_ids(request.tenant_id, StoredObject)
    counts: dict[str, list[int]] = {}
    for pk, key in _subject_objects(request).values_list("pk", "key").iterator(chunk_size=2000):
        prefix = next((p for p in prefixes if key.startswith(p)), "other/")
        pair = counts.setdefault(prefix, [0, 0])
        pair[0] += 1
        pair[1] += str(pk) in held_ids
    return [PrefixCount(prefix=p, objects=n, held=h) for p, (n, h) in sorted(counts.items())]


def _holds(request) -> QuerySet:
    """The active holds that keep this subject's data whole: on the tenant or on this subject (object
    holds show as the rows and objects they keep)."""
    return LegalHold.objects.filter(tenant_id=request.tenant_id, released_at__isnull=True).filter(
        Q(scope=LegalHold.Scope.TENANT) | Q(scope=LegalHold.Scope.SUBJECT, subject_index=request.subject_index)
    ).order_by("created_at")
