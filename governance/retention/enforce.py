"""Retention enforcement: delete or anonymise what is older than its rule, in keyset batches of
BATCH_SIZE rows per short transaction that also moves the run's cursor (a killed run resumes where it
stopped); rows under a legal hold are never selected; audit pruning removes whole sealed prefixes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import Signal
from django.utils import timezone

from governance import audit
from governance.datamap import DATA_MAP, Category, DataMap, Declaration
from governance.datamap.categories import retention_choices
from governance.errors import SightguardError
from governance.models import RetentionAction, RetentionProgress, RetentionRun, Tenant
from governance.retention import holds
from governance.retention.rules import PLATFORM_ONLY, Rule, RuleBook

BATCH_SIZE = 10_000
LEASE = timedelta(minutes=10)
SAMPLE_SIZE = 20
# Sent after each committed batch (progress=, ids=): the RetentionProgress row and the ids it handled.
batch_committed = Signal()


# --- enforcement ---------------------------------------------------------------------------------


def _selection(target: Declaration, tenant_id, cutoff: datetime, cursor, rule: Rule, held: holds.Snapshot) -> models.QuerySet:
    """The next rows due, in primary-key order, minus everything under a hold."""
    qs = target.model._base_manager.filter(**{f"{target.retention.timestamp}__lt": cutoff})
    tenant_path = target.tenant_path
    if tenant_path:
        if tenant_id is None:
            qs = qs.filter(**{f"{tenant_path}__isnull": True})
        else:
            qs = qs.filter(**{tenant_path: tenant_id})
    if target.retention_filter is not None:
        qs = qs.filter(target.retention_filter)
    if rule.action == RetentionAction.ANONYMISE and target.retention.anonymised is not None:
        qs = qs.exclude(target.retention.anonymised)
    if cursor not in (None, ""):
        qs = qs.filter(pk__gt=cursor)
    if tenant_id is not None:
        held_objects = held.object_ids(tenant_id, target.model)
        if held_objects:
            qs = qs.exclude(pk__in=_valid_pks(target.model, held_objects))
        held_subjects = held.subject_indexes(tenant_id) if target.subject else ()
        if held_subjects:
            qs = qs.exclude(**{f"{target.subject}__in": sorted(held_subjects)})
    return qs.order_by("pk")


def _valid_pks(model, raw_ids) -> list:
    pks = []
    for raw in raw_ids:
        try:
            pks.append(model._meta.pk.to_python(raw))
        except (ValidationError, ValueError, TypeError):  # an object hold naming a malformed id protects nothing here
            continue
    return pks


def _fast_delete_ok(target: Declaration) -> bool:
    model = target.model
    return (
        target.retention.handler is None
        and target.stored_object is None
        and not model._meta.related_objects
        and not pre_delete.has_listeners(model)
        and not post_delete.has_listeners(model)
    )


def _delete_fast(qs: models.QuerySet, limit: int) -> list:
    """One statement: DELETE ... WHERE pk = ANY(ARRAY(<keyset select>)) RETURNING pk."""
    model = qs.model
    inner, params = qs.values("pk")[:limit].query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    if connection.vendor == "postgresql":
        sql = f"DELETE FROM {table} WHERE {pk} = ANY(ARRAY({inner})) RETURNING {pk}"
    else:
        sql = f"DELETE FROM {table} WHERE {pk} IN ({inner}) RETURNING {pk}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    convert = model._meta.pk.to_python
    return [convert(r[0]) for r in rows]


def _write_raw(model, ids: list, values: dict) -> int:
    """UPDATE with raw literals: encrypted fields would otherwise encrypt the blank (and stay undetectable)."""
    meta = model._meta
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(meta.get_field(name).column)} = %s" for name in values)
    pk = meta.pk
    db_ids = [pk.get_db_prep_value(i, connection) for i in ids]
    if connection.vendor == "postgresql":
        where, params = f"{qn(pk.column)} = ANY(%s)", [db_ids]
    else:
        where, params = f"{qn(pk.column)} IN ({', '.join(['%s'] * len(db_ids))})", db_ids
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {where}", [*values.values(), *params])
        return cursor.rowcount


def _apply(target: Declaration, ids: list, action: str) -> int:
    if target.retention.handler is not None:
        return target.retention.handler(target, ids, action)
    manager = target.model._base_manager
    if action == RetentionAction.ANONYMISE:
        return _write_raw(target.model, ids, target.anonymise)
    if target.stored_object:
        from governance.models import StoredObject
        from governance.storage import objectstore

        object_ids = [i for i in manager.filter(pk__in=ids).values_list(f"{target.stored_object}_id", flat=True) if i]
        if object_ids:
            objectstore.delete(list(StoredObject.objects.filter(pk__in=object_ids)), reason="retention")
    deleted, _ = manager.filter(pk__in=ids).delete()
    return len(ids)


@dataclass
class RunReport:
    run: RetentionRun
    counts: dict
    errors: list

    @property
    def total(self) -> int:
        return sum(n for per_tenant in self.counts.values() for by_action in per_tenant.values() for n in by_action.values())


def _claim_run(*, dry_run: bool, tenant: Tenant | None, category: str | None, actor: str, now: datetime) -> RetentionRun:
    """A new run, or the unfinished one a killed worker left (same filters) once its lease ran out."""
    if dry_run:
        return RetentionRun.objects.create(
            dry_run=True, tenant=tenant, category=category or "", actor=actor, started_at=now, live=False
        )
    with transaction.atomic():
        stale = RetentionRun.objects.select_for_update().filter(finished_at__isnull=True, dry_run=False).first()
        if stale is not None:
            if stale.lease_until and stale.lease_until > timezone.now():
                raise SightguardError("A retention run is in progress.", code="retention_run_in_progress")
            same = stale.tenant_id == getattr(tenant, "pk", None) and stale.category == (category or "")
            if same:
                stale.lease_until = timezone.now() + LEASE
                stale.resumed += 1
                stale.save(update_fields=["lease_until", "resumed"])
                return stale
            stale.status, stale.finished_at = RetentionRun.Status.ABANDONED, timezone.now()
            stale.save(update_fields=["status", "finished_at"])
        try:
            with transaction.atomic():
                return RetentionRun.objects.create(
                    tenant=tenant, category=category or "", actor=actor, started_at=now, lease_until=timezone.now() + LEASE
                )
        except IntegrityError as exc:
            raise SightguardError("A retention run is in progress.", code="retention_run_in_progress") from exc


def _tenant_ids(target: Declaration, tenant: Tenant | None, all_tenants: list) -> list:
    if tenant is not None:
        return [tenant.pk]
    ids = list(all_tenants)
    if target.tenant_path is None or target.tenant_nullable:
        ids.append(None)
    return ids


class _Pass:
    """One call of enforce: the run, its rules, its progress rows, a holds snapshot at most HOLDS_TTL old."""

    HOLDS_TTL = 1.0  # seconds: a hold placed mid-run is honoured from the next batch after this

    def __init__(self, run, *, now, dry_run, batch_size, progress):
        self.run, self.now, self.dry_run, self.batch_size, self.progress = run, now, dry_run, batch_size, progress
        self.rules = RuleBook()
        self.rows = {(p.target, p.tenant_id): p for p in RetentionProgress.objects.filter(run=run)}
        self.notes: list[RetentionProgress] = []
        self._holds, self._holds_at = None, 0.0
        self._lease_at = time.monotonic()

    def holds(self) -> holds.Snapshot:
        if self._holds is None or time.monotonic() - self._holds_at > self.HOLDS_TTL:
            self._holds, self._holds_at = holds.Snapshot(), time.monotonic()
        return self._holds

    def renew_lease(self) -> None:
        """Inside a batch's transaction, at most once a minute."""
        if not self.dry_run and time.monotonic() - self._lease_at > 60:
            RetentionRun.objects.filter(pk=self.run.pk).update(lease_until=timezone.now() + LEASE)
            self._lease_at = time.monotonic()

    def note(self, target: Declaration, tenant_id, rule: Rule | None, note: str) -> None:
        row = self.rows.get((target.name, tenant_id))
        if row is not None:
            RetentionProgress.objects.filter(pk=row.pk).update(done=True, note=note)
        else:
            self.notes.append(
                RetentionProgress(
                    run=self.run, target=target.name, category=target.category, tenant_id=tenant_id,
                    action=rule.action if rule else "", done=True, note=note,
                )
            )

    def record(self, target: Declaration, tenant_id, rule: Rule, ids: list, done: int) -> RetentionProgress:
        """Move the cursor and the count, in the batch's transaction."""
        cursor = str(max(ids))
        row = self.rows.get((target.name, tenant_id))
        sample = [str(i) for i in ids[:SAMPLE_SIZE]] if self.dry_run else []
        if row is None:
            row = RetentionProgress.objects.create(
                run=self.run, target=target.name, category=target.category, tenant_id=tenant_id,
                action=rule.action, cursor=cursor, processed=done, sample=sample,
            )
            self.rows[(target.name, tenant_id)] = row
            return row
        changes = {"cursor": cursor, "processed": F("processed") + done}
        if self.dry_run and len(row.sample) < SAMPLE_SIZE:
            row.sample = row.sample + sample[: SAMPLE_SIZE - len(row.sample)]
            changes["sample"] = row.sample
        RetentionProgress.objects.filter(pk=row.pk).update(**changes)
        row.cursor = cursor
        return row

    def finish_target(self, target: Declaration, tenant_id) -> None:
        row = self.rows.get((target.name, tenant_id))
        if row is not None:
            RetentionProgress.objects.filter(pk=row.pk).update(done=True)


def enforce(
    *,
    dry_run: bool = False,
    tenant: Tenant | None = None,
    category: str | None = None,
    now: datetime | None = None,
    actor=None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[str, int], None] | None = None,
    data_map: DataMap = DATA_MAP,
) -> RunReport:
    """Apply every enabled rule: delete or anonymise what is older than allowed, spare what is held.

    Restartable: a run killed half-way is resumed (same filters) by the next call once its lease
    has run out; every batch commits together with its cursor. Returns the run's report.
    """
    if category is not None and category not in dict(retention_choices()):
        raise SightguardError(f"Unknown retention category {category!r}.", code="retention_unknown_category")
    now = now or timezone.now()
    started = time.monotonic()
    run = _claim_run(dry_run=dry_run, tenant=tenant, category=category, actor=audit.actor_label(actor), now=now)
    work = _Pass(run, now=now, dry_run=dry_run, batch_size=batch_size, progress=progress)
    all_tenants = list(Tenant.objects.order_by("pk").values_list("pk", flat=True)) if tenant is None else []
    errors = list(run.errors)
    for target in data_map.retained(category):
        if target.category in PLATFORM_ONLY:
            scopes = [None] if tenant is None else []
        else:
            scopes = _tenant_ids(target, tenant, all_tenants)
        for tenant_id in scopes:
            try:
                _enforce_one(work, target, tenant_id)
            except Exception as exc:  # noqa: BLE001  one failing target must not stop the others; recorded without its message (it may hold data)
                errors.append({"target": target.name, "tenant": tenant_id, "error": type(exc).__name__})
    if work.notes:
        RetentionProgress.objects.bulk_create(work.notes, ignore_conflicts=True)
    return _finish(run, errors, started, actor)


def _enforce_one(work: _Pass, target: Declaration, tenant_id) -> None:
    rule = work.rules.rule(target.category, tenant_id)
    row = work.rows.get((target.name, tenant_id))
    if row is not None and row.done:
        return
    if rule is None or not rule.enabled or rule.action not in target.retention_actions:
        note = "no_rule" if rule is None else ("disabled" if not rule.enabled else "action_unsupported")
        work.note(target, tenant_id, rule, note)
        return
    cutoff = work.now - rule.max_age
    if target.category == Category.AUDIT_EVENTS and target.model._meta.label == "governance.AuditEvent":
        _prune_audit(work, target, rule, cutoff)
        return
    fast = not work.dry_run and rule.action == RetentionAction.DELETE and _fast_delete_ok(target)
    cursor = target.model._meta.pk.to_python(row.cursor) if row is not None and row.cursor else None
    while True:
        held = work.holds()
        if tenant_id is not None and held.tenant_is_held(tenant_id):  # also a hold placed mid-run
            work.note(target, tenant_id, rule, "tenant_held")
            return
        qs = _selection(target, tenant_id, cutoff, cursor, rule, held)
        with transaction.atomic():
            if fast:
                ids = _delete_fast(qs, work.batch_size)
                done = len(ids)
            else:
                ids = list(qs.values_list("pk", flat=True)[: work.batch_size])
                done = len(ids) if work.dry_run else (_apply(target, ids, rule.action) if ids else 0)
            if not ids:
                work.finish_target(target, tenant_id)
                return
            row = work.record(target, tenant_id, rule, ids, done)
            work.renew_lease()
        cursor = target.model._meta.pk.to_python(row.cursor)
        if work.progress:
            work.progress(target.category, done)
        batch_committed.send(sender=RetentionProgress, progress=row, ids=ids)
        if len(ids) < work.batch_size:
            work.finish_target(target, tenant_id)
            return


def _prune_audit(work: _Pass, target: Declaration, rule: Rule, cutoff: datetime) -> None:
    """Prune each audit log's oldest events as one whole sealed prefix (governance.audit.prune).

    A log's prefix stops at the first event that is young enough, is itself held, or lies past the
    log's newest signed checkpoint; a tenant under a legal hold keeps its whole log. The leaf hashes
    stay, and the signed checkpoint issued with the prune says which range went and why.
    """
    from governance.models import AuditEvent, AuditLeaf, AuditLog

    audit.seal()  # what is committed gets its leaves and a checkpoint first
    held = work.holds()
    held_ids = {int(i) for i in held.object_ids_any_tenant(AuditEvent) if str(i).isdigit()}
    for log in AuditLog.objects.order_by("pk"):
        if held.tenant_is_held(log.tenant_id):
            continue
        newest = audit.newest_checkpoint(log=log)
        limit = newest.size if newest else 0
        below = log.pruned_below
        while below < limit:
            chunk = list(
                AuditLeaf.objects.filter(log=log, index__gte=below, index__lt=min(limit, below + work.batch_size))
                .order_by("index").values_list("index", "event_id")
            )
            created = dict(AuditEvent.objects.filter(id__in=[e for _, e in chunk]).values_list("id", "created_at"))
            stop = next((i for i, e in chunk if e in held_ids or created.get(e, cutoff) >= cutoff), None)
            below = stop if stop is not None else chunk[-1][0] + 1
            if stop is not None or not chunk:
                break
        count = below - log.pruned_below
        if count <= 0:
            continue
        with transaction.atomic():
            done = count if work.dry_run else audit.prune(log=log, below=below, reason="retention")
            row = work.record(target, None, rule, [below], done)
            work.renew_lease()
        if work.progress:
            work.progress(Category.AUDIT_EVENTS, done)
        batch_committed.send(sender=RetentionProgress, progress=row, ids=[below])
    work.finish_target(target, None)


def _finish(run: RetentionRun, errors: list, started: float, actor) -> RunReport:
    counts: dict = {}
    for p in RetentionProgress.objects.filter(run=run).order_by("pk"):
        if p.processed:
            verb = "would_go" if run.dry_run else ("anonymised" if p.action == RetentionAction.ANONYMISE else "deleted")
            by_tenant = counts.setdefault(p.category, {}).setdefault(str(p.tenant_id or "platform"), {})
            by_tenant[verb] = by_tenant.get(verb, 0) + p.processed
    run.counts, run.errors = counts, errors
    run.duration_seconds = run.duration_seconds + (time.monotonic() - started)
    run.finished_at = timezone.now()
    run.status = RetentionRun.Status.FAILED if errors else RetentionRun.Status.DONE
    run.lease_until = None
    totals = {cat: sum(n for t in per.values() for n in t.values()) for cat, per in counts.items()}
    with transaction.atomic():
        run.save()
        audit.record(
            action="retention.dry_run" if run.dry_run else "retention.run",
            actor=actor,
            tenant=run.tenant_id,
            target=run,
            metadata={
                "category": run.category or None,
                "totals": totals,
                "tenants": len({t for per in counts.values() for t in per}),
                "errors": len(errors),
                "resumed": run.resumed,
                "duration_ms": int(run.duration_seconds * 1000),
            },
        )
    return RunReport(run=run, counts=counts, errors=errors)


def would_go(*, tenant: Tenant | None = None, category: str | None = None, now: datetime | None = None, actor=None) -> list[dict]:
    """Dry run, as rows for the admin: category, tenant, target, how many would go, the first ids."""
    report = enforce(dry_run=True, tenant=tenant, category=category, now=now, actor=actor)
    rows = []
    for p in RetentionProgress.objects.filter(run=report.run).select_related("tenant").order_by("category", "tenant_id", "target"):
        rows.append(
            {
                "category": p.category,
                "tenant": p.tenant.slug if p.tenant else "platform",
                "target": p.target,
                "count": p.processed,
                "note": p.note,
                "sample": p.sample,
            }
        )
    return rows
