"""The audit logs: one append-only Merkle tree per tenant and one for the platform.

Appending (`record`, `record_many`) is one INSERT in the caller's transaction: no lock, nothing
shared between writers. The sealer (`seal`: Celery beat every AUDIT_SEAL_SECONDS, and on demand)
takes committed events that have no place yet, gives each the next leaf index of its log in id
order, hashes it into the tree (RFC 6962 / 9162) and signs a checkpoint (C2SP tlog-checkpoint,
Ed25519, key from AUDIT_SIGNING_KEY) for every log that grew; checkpoints are copied to the object
store. Proofs and the export are read from the stored leaves and subtree hashes; the standalone
verifier (governance/audit_verifier.py) checks them without Django.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Exists, OuterRef
from django.db.models.base import ModelState
from django.utils import timezone

from governance import audit_verifier as tree
from governance.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditLeaf,
    AuditLog,
    AuditNode,
    AuditPrune,
    AuditSealState,
)

logger = logging.getLogger(__name__)

_SAFE_SCALARS = (int, float, bool, type(None))
NODE_LEVEL = 8  # subtrees of 256 leaves and up are stored
SEAL_BATCH = 20_000
ENTRY_FIELDS = ("id", "tenant_id", "actor", "action", "target_type", "target_id", "metadata", "created_at")


def actor_label(actor) -> str:
    """A stable, non-personal name for whoever acted: user:12, apikey:3, system, agent:x."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"{actor._meta.model_name}:{actor.pk}"


def _check_metadata(value, path="metadata"):
    if isinstance(value, dict):
        for key, item in value.items():
            if item.__class__ not in _PLAIN:  # the common flat dict of ints and codes stays in this loop
                _check_metadata(item, f"{path}.{key}")
            elif item.__class__ is str and ("@" in item or len(item) > 200):
                _refuse_text(f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_metadata(item, path)
    elif isinstance(value, str):
        if "@" in value or len(value) > 200:
            _refuse_text(path)
    elif not isinstance(value, _SAFE_SCALARS):
        raise ValueError(f"{path}: audit metadata takes plain JSON values only")


_PLAIN = frozenset({int, float, bool, type(None), str})


def _refuse_text(path: str):
    raise ValueError(f"{path}: audit metadata must not hold personal data or free text")


def _row(*, action: str, actor, tenant, target, metadata: dict | None, now) -> tuple:
    """The inserted values of one event, in _INSERT_COLUMNS order (metadata as JSON text)."""
    metadata = metadata or {}
    _check_metadata(metadata)
    if isinstance(target, models.Model):
        target_type, target_id = target._meta.label_lower, str(target.pk)
    elif target:
        target_type, target_id = target
    else:
        target_type, target_id = "", ""
    tenant_id = getattr(tenant, "pk", tenant)
    return (tenant_id, actor_label(actor), action, target_type, str(target_id), metadata, now)


_INSERT_COLUMNS = ("tenant_id", "actor", "action", "target_type", "target_id", "metadata", "created_at")
_TABLE = AuditEvent._meta.db_table
_COLUMNS_SQL = ", ".join(f'"{c}"' for c in _INSERT_COLUMNS)
_INSERT_SQL = (
    f'INSERT INTO "{_TABLE}" ({_COLUMNS_SQL}) '
    f'VALUES ({", ".join(["%s"] * len(_INSERT_COLUMNS))}) RETURNING "id", "txid"'
)
# One statement whatever the number of rows (so PostgreSQL parses it once per connection).
_INSERT_MANY_SQL = (
    f'INSERT INTO "{_TABLE}" ({_COLUMNS_SQL}) '
    "SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], "
    '%s::jsonb[], %s::timestamptz[]) RETURNING "id", "txid"'
)


def _insert(db, sql: str, params) -> list[tuple]:
    """Run an append INSERT and return its rows. On PostgreSQL the statement is bound on the server
    (Django's client-side binding quotes every value in Python) on one psycopg cursor kept per
    connection, and psycopg prepares it after a few runs: Django's cursor wrapper and a new cursor
    per append were each as costly as the INSERT's own client work. Django's wrapper is still used
    whenever something watches statements (DEBUG's query log, CaptureQueriesContext, execute_wrapper)."""
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    db.close_if_health_check_failed()
    db.ensure_connection()
    held = getattr(db, "_audit_cursor", None)
    if held is None or held.connection is not db.connection or held.closed:
        import psycopg

        held = db._audit_cursor = psycopg.Cursor(db.connection)
    if db.queries_logged or db.execute_wrappers:
        cursor = db.make_debug_cursor(held) if db.queries_logged else db.make_cursor(held)
        cursor.execute(sql, params)
        return cursor.fetchall()
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        held.execute(sql, params)
        return held.fetchall()


def _appended(row: tuple, pk: int, txid: int | None, db) -> AuditEvent:
    """The event as loaded from the database, built without Model.__init__ (a third of an append's
    CPU once the INSERT was cheap); AuditEvent has no init signal receivers to miss."""
    event = AuditEvent.__new__(AuditEvent)
    event.__dict__.update(zip(_INSERT_COLUMNS, row, strict=True), id=pk, txid=txid)
    event._state = ModelState()
    event._state.adding, event._state.db = False, db.alias
    return event


def record(*, action: str, actor=None, tenant=None, target=None, metadata: dict | None = None) -> AuditEvent:
    """Append one event to its tenant's log (the platform's without a tenant), in the caller's
    transaction: one INSERT, no lock. The sealer gives it its leaf within AUDIT_SEAL_SECONDS of commit."""
    row = _row(action=action, actor=actor, tenant=tenant, target=target, metadata=metadata, now=timezone.now())
    # A plain INSERT rather than Model.save(): no signals, no field machinery per call; appends
    # are on every governed write's path (bench/audit_appends.py measures it against the floor).
    db = connections[DEFAULT_DB_ALIAS]  # once: every attribute of django.db.connection is a lookup
    params = (*row[:5], _json(row[5]), row[6]) if db.vendor == "postgresql" else _prepared(row, db)
    [(pk, txid)] = _insert(db, _INSERT_SQL, params)
    return _appended(row, pk, txid, db)


def record_many(*, events: Iterable[dict]) -> list[AuditEvent]:
    """Append many events in one INSERT; each dict takes record()'s keyword arguments."""
    now = timezone.now()
    rows = [_row(now=now, **{"actor": None, "tenant": None, "target": None, "metadata": None, **e}) for e in events]
    if not rows:
        return []
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql":
        columns = [list(c) for c in zip(*rows, strict=True)]
        columns[5] = [_json(m) for m in columns[5]]
        returned = _insert(db, _INSERT_MANY_SQL, columns)
    else:
        returned = [_insert(db, _INSERT_SQL, _prepared(row, db))[0] for row in rows]
    return [_appended(row, pk, txid, db) for row, (pk, txid) in zip(rows, returned, strict=True)]


def _json(metadata: dict) -> str:
    return orjson.dumps(metadata, option=orjson.OPT_NON_STR_KEYS).decode()


def _prepared(row: tuple, db) -> list:
    """The row through the fields' own preparation (databases other than PostgreSQL)."""
    fields = [AuditEvent._meta.get_field("tenant" if c == "tenant_id" else c) for c in _INSERT_COLUMNS]
    return [f.get_db_prep_save(v, db) for f, v in zip(fields, row, strict=True)]


# --- entries, logs ------------------------------------------------------------------------------------


def entry_bytes(row: dict) -> bytes:
    """The canonical bytes of an event, hashed into its leaf and exported as one line."""
    created = row["created_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {k: row[k] for k in ENTRY_FIELDS if k != "created_at"}
    body["created_at"] = created
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _origin(tenant_id: int | None) -> str:
    return f"{settings.AUDIT_ORIGIN}/{tenant_id if tenant_id is not None else 'platform'}"


def log_for(*, tenant=None, create: bool = False) -> AuditLog | None:
    tenant_id = getattr(tenant, "pk", tenant)
    log = AuditLog.objects.filter(tenant_id=tenant_id).first()
    if log is None and create:
        log, _ = AuditLog.objects.get_or_create(tenant_id=tenant_id, defaults={"origin": _origin(tenant_id)})
    return log


def _signing_seed() -> bytes:
    seed = base64.b64decode(settings.AUDIT_SIGNING_KEY)
    if len(seed) != 32:
        raise ValueError("AUDIT_SIGNING_KEY must be base64 of a 32-byte Ed25519 seed")
    return seed


def verifier_key() -> str:
    """The note verifier key tenants verify checkpoints with (name+keyid+base64)."""
    public = Ed25519PrivateKey.from_private_bytes(_signing_seed()).public_key().public_bytes_raw()
    return tree.verifier_key(settings.AUDIT_KEY_NAME, public)


# --- the sealer ---------------------------------------------------------------------------------------


@dataclass
class SealReport:
    sealed: int = 0
    checkpoints: list[AuditCheckpoint] = field(default_factory=list)
    busy: bool = False


def seal(*, wait: bool = True, batch: int = SEAL_BATCH, now: datetime | None = None) -> SealReport:
    """Give every committed, unsealed event its leaf, then sign a checkpoint for each log that grew
    or was pruned. Idempotent; one sealer at a time (`wait=False`: give way to a running one)."""
    AuditSealState.objects.get_or_create(pk=1)
    report = SealReport()
    next_floor = _oldest_running_transaction()
    after = 0  # within one pass, batches go on by event id; what commits behind them waits for the next pass
    while True:
        with transaction.atomic():
            state = AuditSealState.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
            if state is None:
                report.busy = True
                return report
            done, after = _integrate(state, batch, after=after, next_floor=next_floor)
            report.sealed += done
            if done < batch:
                report.checkpoints = _issue_checkpoints(now=now or timezone.now())
                break
    for checkpoint in report.checkpoints:
        _copy_out(checkpoint)
    return report


def _oldest_running_transaction() -> int | None:
    """PostgreSQL: every transaction older than this one has ended, so all its events are visible."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        return cursor.fetchone()[0]


def _integrate(state: AuditSealState, batch: int, *, after: int, next_floor: int | None) -> tuple[int, int]:
    if next_floor is not None:
        pending = AuditEvent.objects.filter(txid__gte=state.floor, id__gt=after)
    else:  # SQLite commits one writer at a time, in id order
        pending = AuditEvent.objects.filter(id__gt=max(state.floor, after))
    rows = list(
        pending.filter(~Exists(AuditLeaf.objects.filter(event_id=OuterRef("pk"))))
        .order_by("id")
        .values(*ENTRY_FIELDS)[:batch]
    )
    if rows:
        by_log: dict[int | None, list[dict]] = {}
        for row in rows:
            by_log.setdefault(row["tenant_id"], []).append(row)
        leaves, nodes = [], []
        for tenant_id, events in by_log.items():
            log = log_for(tenant=tenant_id, create=True)
            edge = tree.CompactRange.unpack(log.size, bytes(log.edge))
            for row in events:
                leaf = tree.leaf_hash(entry_bytes(row))
                leaves.append(AuditLeaf(log_id=log.pk, index=edge.size, event_id=row["id"], hash=leaf))
                for level, index, node in edge.append(leaf):
                    if level >= NODE_LEVEL:
                        nodes.append(AuditNode(log_id=log.pk, level=level, index=index, hash=node))
            AuditLog.objects.filter(pk=log.pk).update(
                size=edge.size, edge=edge.pack(), root_hash=edge.root(), needs_checkpoint=True
            )
        AuditLeaf.objects.bulk_create(leaves, batch_size=5000)
        AuditNode.objects.bulk_create(nodes, batch_size=5000)
        after = rows[-1]["id"]
    if len(rows) < batch:
        state.floor = next_floor if next_floor is not None else max(state.floor, after)
        AuditSealState.objects.filter(pk=1).update(floor=state.floor)
    return len(rows), after


def _issue_checkpoints(*, now: datetime) -> list[AuditCheckpoint]:
    seed = _signing_seed()
    issued = []
    for log in AuditLog.objects.filter(needs_checkpoint=True).order_by("pk"):
        issued.append(_sign(log, seed=seed, now=now))
    AuditLog.objects.filter(pk__in=[c.log_id for c in issued]).update(needs_checkpoint=False)
    return issued


def _sign(log: AuditLog, *, seed: bytes, now: datetime) -> AuditCheckpoint:
    previous = AuditCheckpoint.objects.filter(log=log).order_by("-id").first()
    extensions = [f"time {now.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%fZ}"]
    if previous is not None:
        extensions.append(f"prev {tree.Checkpoint(log.origin, 0, b'', (), previous.note).digest()}")
    if log.pruned_below:
        extensions.append(f"pruned 0 {log.pruned_below} {log.prune_reason or 'retention'}")
    root = bytes(log.root_hash) or tree.EMPTY_ROOT
    body = tree.checkpoint_body(origin=log.origin, size=log.size, root=root, extensions=extensions)
    note = tree.sign_note(body, name=settings.AUDIT_KEY_NAME, seed=seed)
    return AuditCheckpoint.objects.create(log=log, size=log.size, root_hash=root, issued_at=now, note=note)


def _copy_out(checkpoint: AuditCheckpoint) -> None:
    """A copy outside the database, under Object Lock where the bucket has it. A failed copy is
    logged and does not undo the checkpoint; the next one is copied again."""
    from governance.models import StoredObject
    from governance.storage import objectstore

    try:
        objectstore.put(
            purpose=StoredObject.Purpose.AUDIT_CHECKPOINT,
            data=checkpoint.note.encode(),
            content_type="text/plain; charset=utf-8",
            lifetime=timedelta(days=settings.AUDIT_CHECKPOINT_COPY_DAYS),
            tenant=AuditLog.objects.get(pk=checkpoint.log_id).tenant_id,
            lock=True,
        )
    except Exception:
        logger.exception("audit checkpoint %s was not copied to the object store", checkpoint.pk)


# --- reading: checkpoints, proofs, export ----------------------------------------------------------------


def newest_checkpoint(*, log: AuditLog) -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.filter(log=log).order_by("-id").first()


def newest_checkpoint_age(*, tenant=None, now: datetime | None = None) -> float | None:
    """Seconds since the newest checkpoint of that log (the platform's without a tenant) was issued,
    or None when it has none. For health checks: it stays below AUDIT_SEAL_SECONDS plus a pass
    while the sealer runs and the log grows; a quiet log's checkpoint simply ages."""
    log = log_for(tenant=tenant)
    checkpoint = newest_checkpoint(log=log) if log else None
    if checkpoint is None:
        return None
    return ((now or timezone.now()) - checkpoint.issued_at).total_seconds()


def unsealed_age(*, now: datetime | None = None) -> float | None:
    """Seconds the oldest event not yet given a leaf has waited (None: none waiting)."""
    oldest = (
        AuditEvent.objects.filter(~Exists(AuditLeaf.objects.filter(event_id=OuterRef("pk"))))
        .order_by("id")
        .values_list("created_at", flat=True)
        .first()
    )
    return None if oldest is None else ((now or timezone.now()) - oldest).total_seconds()


def current_checkpoint(*, tenant=None) -> AuditCheckpoint | None:
    """The log's newest checkpoint, after sealing what is committed (a new one if the log grew)."""
    seal()
    log = log_for(tenant=tenant)
    return newest_checkpoint(log=log) if log else None


def checkpoint_document(checkpoint: AuditCheckpoint, *, log: AuditLog) -> dict:
    return {
        "origin": log.origin,
        "tenant": log.tenant_id,
        "tree_size": checkpoint.size,
        "root_hash": base64.b64encode(bytes(checkpoint.root_hash)).decode(),
        "issued_at": checkpoint.issued_at.isoformat(),
        "verifier_key": verifier_key(),
        "checkpoint": checkpoint.note,
    }


class _Subtrees:
    """MTH(D[start:end]) of one log from stored subtree hashes and leaves, read as needed."""

    def __init__(self, log: AuditLog):
        self.log = log

    def __call__(self, start: int, end: int) -> bytes:
        n = end - start
        if n >= 1 << NODE_LEVEL and n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            stored = AuditNode.objects.filter(log=self.log, level=level, index=start >> level).values_list("hash", flat=True)
            for h in stored:
                return bytes(h)
        if n > 1 << NODE_LEVEL:
            k = tree._split(n)
            return tree.node_hash(self(start, start + k), self(start + k, end))
        leaves = AuditLeaf.objects.filter(log=self.log, index__gte=start, index__lt=end).order_by("index")
        hashes = [bytes(h) for h in leaves.values_list("hash", flat=True)]
        if len(hashes) != n:
            raise LookupError(f"leaves {start}..{end} of {self.log.origin} are missing")
        return tree.root_of(hashes)


def inclusion_proof(*, event: AuditEvent, checkpoint: AuditCheckpoint) -> dict:
    """The event's entry, leaf index and RFC 9162 inclusion path in the checkpoint's tree."""
    leaf = AuditLeaf.objects.filter(event_id=event.pk).first()
    if leaf is None or leaf.index >= checkpoint.size or leaf.log_id != checkpoint.log_id:
        raise LookupError("the event is not covered by that checkpoint yet")
    log = AuditLog.objects.get(pk=leaf.log_id)
    row = AuditEvent.objects.filter(pk=event.pk).values(*ENTRY_FIELDS).get()
    path = tree.inclusion_path(leaf.index, checkpoint.size, _Subtrees(log))
    return {
        "origin": log.origin,
        "index": leaf.index,
        "tree_size": checkpoint.size,
        "entry": entry_bytes(row).decode(),
        "path": [base64.b64encode(p).decode() for p in path],
        "checkpoint": checkpoint.note,
    }


def consistency_proof(*, log: AuditLog, old_size: int, new_size: int) -> dict:
    if not 0 < old_size <= new_size <= log.size:
        raise ValueError(f"sizes must satisfy 0 < old ≤ new ≤ {log.size}")
    path = tree.consistency_path(old_size, new_size, _Subtrees(log)) if old_size < new_size else []
    return {
        "origin": log.origin,
        "old_size": old_size,
        "new_size": new_size,
        "path": [base64.b64encode(p).decode() for p in path],
    }


def export_lines(*, log: AuditLog, size: int | None = None) -> Iterator[bytes]:
    """The log as the verifier reads it: a header line, then one canonical entry per leaf."""
    size = log.size if size is None else size
    prefix = tree.CompactRange()
    if log.pruned_below:
        prefix.extend(bytes(h) for h in AuditLeaf.objects.filter(log=log, index__lt=log.pruned_below)
                      .order_by("index").values_list("hash", flat=True).iterator(chunk_size=10000))
    header = {
        "format": tree.EXPORT_FORMAT,
        "origin": log.origin,
        "size": size,
        "prefix": {"size": prefix.size, "hashes": [base64.b64encode(h).decode() for h in prefix.hashes]},
    }
    yield json.dumps(header).encode() + b"\n"
    for row in _entries(log, start=log.pruned_below, end=size):
        if row is None:
            raise LookupError("an event of the log is missing")
        yield entry_bytes(row) + b"\n"


def _entries(log: AuditLog, *, start: int, end: int, chunk: int = 10000) -> Iterator[dict | None]:
    """Events of leaves start..end in leaf order (None where a leaf's event is gone)."""
    cursor = start
    while cursor < end:
        leaves = list(
            AuditLeaf.objects.filter(log=log, index__gte=cursor, index__lt=min(end, cursor + chunk))
            .order_by("index").values_list("index", "event_id", "hash")
        )
        events = {r["id"]: r for r in AuditEvent.objects.filter(id__in=[e for _, e, _ in leaves]).values(*ENTRY_FIELDS)}
        for index, event_id, _ in leaves:
            if index != cursor:
                return
            yield events.get(event_id)
            cursor += 1
        if not leaves:
            return


# --- verification against the stored log ------------------------------------------------------------------


@dataclass
class LogCheck:
    origin: str
    ok: bool
    size: int = 0
    checkpoints: int = 0
    reason: str = ""


def _origin_of(text: str) -> str:
    if text.lstrip().startswith("{"):
        text = json.loads(text)["checkpoint"]
    return text.split("\n", 1)[0]


def verify_logs(*, logs: list[AuditLog], held: Iterable[str] = ()) -> list[LogCheck]:
    """verify_log for each log, each with the held checkpoints of its origin; a held checkpoint of
    a log that is not there (deleted whole) fails too."""
    by_origin: dict[str, list[str]] = {log.origin: [] for log in logs}
    results = []
    for text in held:
        origin = _origin_of(text)
        if origin not in by_origin:
            results.append(LogCheck(origin, False, reason="a checkpoint you hold is of a log that is not there"))
            return results
        by_origin[origin].append(text)
    return [verify_log(log=log, held=by_origin[log.origin]) for log in logs]


def verify_log(*, log: AuditLog, held: Iterable[str] = ()) -> LogCheck:
    """Recompute the log from its events and compare it with its own signed checkpoints and with
    `held` ones (texts a tenant kept). Fails on an edited, deleted, inserted or reordered event, a
    truncated log, a forged or replayed checkpoint."""
    verifier = tree.Verifier.parse(verifier_key())
    result = LogCheck(log.origin, False)
    try:
        own = [tree.open_checkpoint(c.note, verifier) for c in AuditCheckpoint.objects.filter(log=log).order_by("id")]
        theirs = [tree.open_checkpoint(text, verifier) for text in held]
    except tree.VerificationError as exc:
        result.reason = str(exc)
        return result
    for cp in own + theirs:
        if cp.origin != log.origin:
            result.reason = f"a checkpoint of {cp.origin} is not of {log.origin}"
            return result
    for before, after in zip(own, own[1:], strict=False):
        if after.extension("prev") != before.digest() or after.size < before.size:
            result.reason = f"the stored checkpoints do not follow each other at size {after.size}"
            return result
    if own and theirs:
        newest = own[-1]
        for cp in theirs:
            if cp.size > newest.size or cp.time > newest.time:
                result.reason = (
                    f"the log's newest checkpoint (size {newest.size}, {newest.time}) is older than one you hold "
                    f"(size {cp.size}, {cp.time}): newer checkpoints were removed or an old one replayed"
                )
                return result
    wanted = sorted(own + theirs, key=lambda c: c.size)
    pruned = max((end for cp in own for start, end, _ in cp.pruned if start == 0), default=0)
    edge = tree.CompactRange()
    leaves = AuditLeaf.objects.filter(log=log).order_by("index").values_list("index", "event_id", "hash")
    expected = 0
    batch: list[tuple[int, int, bytes]] = []

    def flush() -> str:
        events = {r["id"]: r for r in AuditEvent.objects.filter(id__in=[e for _, e, _ in batch]).values(*ENTRY_FIELDS)}
        for index, event_id, stored in batch:
            row = events.get(event_id)
            if row is None:
                if index >= pruned:
                    return f"the event of leaf {index} (event {event_id}) was deleted"
                leaf = bytes(stored)
            else:
                leaf = tree.leaf_hash(entry_bytes(row))
            edge.append(leaf)
            while wanted and wanted[0].size == edge.size:
                cp = wanted.pop(0)
                if edge.root() != cp.root:
                    return (
                        f"the log's first {cp.size} entries do not match its checkpoint of {cp.time}: "
                        "an event was edited, deleted, inserted or reordered"
                    )
        batch.clear()
        return ""

    while wanted and wanted[0].size == 0:
        if wanted.pop(0).root != tree.EMPTY_ROOT:
            result.reason = "an empty checkpoint with a root"
            return result
    for index, event_id, stored in leaves.iterator(chunk_size=10000):
        if index != expected:
            result.reason = f"leaf {expected} is missing: the log's order was changed"
            return result
        expected += 1
        batch.append((index, event_id, stored))
        if len(batch) >= 10000 and (reason := flush()):
            result.reason = reason
            return result
    if reason := flush():
        result.reason = reason
        return result
    if wanted:
        result.reason = (
            f"a checkpoint covers {wanted[-1].size} entries but the log has {edge.size}: its newest entries were removed"
        )
        return result
    result.ok, result.size, result.checkpoints = True, edge.size, len(own) + len(theirs)
    return result


@dataclass
class ChainReport:
    ok: bool
    logs: list[LogCheck]


def verify_chain() -> ChainReport:
    """Every log checked against its own signed checkpoints (events not yet sealed are sealed first)."""
    seal()
    logs = [verify_log(log=log) for log in AuditLog.objects.order_by("pk")]
    return ChainReport(all(c.ok for c in logs), logs)


# --- pruning ---------------------------------------------------------------------------------------------


APPEND_ONLY_TABLES = (
    "governance_auditevent",
    "governance_auditleaf",
    "governance_auditnode",
    "governance_auditcheckpoint",
    "governance_auditprune",
)
# The application's role on PostgreSQL (README "Audit logs"): everything it needs, but on the
# append-only tables only INSERT and SELECT. Migrations, and audit pruning, run as the owner.
APP_ROLE_GRANTS_SQL = (
    "GRANT USAGE ON SCHEMA public TO {role}; "
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; "
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}; "
    f"REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {', '.join(APPEND_ONLY_TABLES)} FROM {{role}};"
)


def prune(*, log: AuditLog, below: int, reason: str) -> int:
    """Remove the events of leaves [pruned_below, below) of a log: only a range covered by a signed
    checkpoint; the leaf hashes stay, and the next checkpoint says `pruned 0 <below> <reason>`."""
    with transaction.atomic():
        AuditSealState.objects.get_or_create(pk=1)
        AuditSealState.objects.select_for_update().get(pk=1)  # no sealing while the log's state moves
        log = AuditLog.objects.get(pk=log.pk)
        covered = newest_checkpoint(log=log)
        if covered is None or below > covered.size:
            raise ValueError("only a range covered by a signed checkpoint can be pruned")
        if below <= log.pruned_below:
            return 0
        AuditPrune.objects.create(log=log, start=log.pruned_below, end=below, reason=reason, at=timezone.now())
        ids = AuditLeaf.objects.filter(log=log, index__gte=log.pruned_below, index__lt=below).values("event_id")
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        sql, params = ids.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({sql})", params)
            deleted = cursor.rowcount
        AuditLog.objects.filter(pk=log.pk).update(pruned_below=below, prune_reason=reason)
        checkpoint = _sign(AuditLog.objects.get(pk=log.pk), seed=_signing_seed(), now=timezone.now())
    _copy_out(checkpoint)
    return deleted
