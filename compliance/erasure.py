"""Erasure: walks the data map and removes one subject from one tenant's tables and buckets.

Steps, each committed in its own transaction together with its counts, so a worker killed at any
point and restarted resumes after the last committed step and nothing is counted twice:

1. anonymise what must stay (consent evidence, support records, earlier request records);
2. delete the subject's bucket objects (transient and retained images, exports) with batched
   delete_objects, and close their records;
3. delete rows, children first, with set-based deletes (``_raw_delete``: one DELETE ... WHERE pk
   IN (subject-scoped subquery) per model, no Collector, no per-object signals). Reverse relations
   are handled the same way: CASCADE deletes, SET_NULL nulls, PROTECT keeps the parent;
4. finish: a suppression entry, the proof of erasure (counts per model and bucket prefix,
   timestamps, a keyed hash of the subject: no personal data), the request closed, its e-mail
   blanked after the completion e-mail.

Legal holds: a tenant or subject hold stops the erasure: the request is denied on legal grounds
(`legal_obligation`, the proof says which hold) and the subject told to ask again once it ends;
object holds keep the held rows and objects (counted in the proof as kept, named in the e-mail).
"""

import functools
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.dispatch import Signal
from django.utils import timezone

from governance import audit, transfers
from governance.crypto import blind_index
from governance.datamap import ANONYMISE, DATA_MAP, DELETE
from governance.models import StoredObject
from governance.retention import holds
from governance.storage import objectstore

from . import erasure_ledger, mail
from .models import DataSubjectRequest, DenialReason, ErasureSuppression
from .requests import set_status

Status = DataSubjectRequest.Status
log = logging.getLogger(__name__)
OBJECT_BATCH = 1000
LEASE = timedelta(minutes=10)
GROUP_SECONDS = 1.0
# Sent after each committed step (request_id=, step=).
step_committed = Signal()


class Plan:
    """The ordered step names of one erasure; stable across restarts."""

    def __init__(self):
        entries = DATA_MAP.subject_declarations()
        keep = [e for e in entries if e.erasure == ANONYMISE and e.model is not StoredObject]
        delete = [e for e in DATA_MAP.children_first(entries) if e.erasure == DELETE]
        self.steps = [("anonymise", e) for e in keep] + [("objects", None)] + [("delete", e) for e in delete]

    def names(self) -> list[str]:
        return [f"{kind}:{e.model._meta.label_lower}" if e else kind for kind, e in self.steps]


def _claim(request_id) -> DataSubjectRequest | None:
    """The request, locked for this transaction, if it is an approved erasure still in progress."""
    return DataSubjectRequest.objects.select_for_update().select_related("tenant").filter(
        pk=request_id, status=Status.IN_PROGRESS, kind=DataSubjectRequest.Kind.ERASURE
    ).first()


def run(*, request_id: str) -> bool:
    """The erasure task's work; returns True when the request is complete. Idempotent and resumable.

    Steps are grouped into transactions of about GROUP_SECONDS of work: a small erasure is one
    transaction, a large one commits (with its counts and progress) every GROUP_SECONDS.
    """
    plan = Plan()
    names = plan.names()
    pending = list(zip(names, plan.steps))
    while True:
        finished, committed = False, []
        with transaction.atomic():
            request = _claim(request_id)
            if request is None:
                return False
            snapshot = holds.Snapshot()  # every active hold, one query
            state = request.work_state or {}
            if not state.get("started_at"):
                state = _start(request, steps=len(names), snapshot=snapshot)
            began = time.monotonic()
            while pending and not state.get("held"):
                name, (kind, entry) = pending.pop(0)
                if name in state["done"]:
                    continue
                if kind == "objects":
                    _erase_objects(request, state, snapshot)
                else:
                    _erase_entry(request, entry, kind, state, snapshot)
                state["done"].append(name)
                committed.append(name)
                # Observed steps commit one by one, so each step_committed is sent as soon as it is true.
                if step_committed.has_listeners() or time.monotonic() - began > GROUP_SECONDS:
                    break
            if not pending or state.get("held"):
                _finish(request, state)
                finished = True
            else:
                if not state.get("announced"):  # an erasure that spans several transactions says it started
                    state["announced"] = True
                    audit.record(action="privacy_request.erasure_started", actor="system:erasure",
                                 tenant=request.tenant_id, target=request, metadata={"steps": len(names)})
                DataSubjectRequest.objects.filter(pk=request.pk).update(
                    work_state=state, progress_done=len(state["done"]), progress_total=request.progress_total,
                    lease_until=timezone.now() + LEASE,
                )
        for name in committed:
            step_committed.send(sender=DataSubjectRequest, request_id=request.pk, step=name)
        if finished:
            return True


def _start(request, *, steps: int, snapshot: holds.Snapshot) -> dict:
    """The initial state; written with the first commit (a small erasure commits once, at its end)."""
    state = {"started_at": timezone.now().isoformat(), "done": [], "counts": {}, "objects": {}, "kept": {},
             # Read before the anonymise step blanks whose searches the transfer records were.
             "recipients": transfers.recipients(tenant_id=request.tenant_id, subject_index=request.subject_index)}
    held = _hold(request, snapshot)
    if held:
        state["held"] = held
    request.progress_total = steps + 1
    return state


def _hold(request, snapshot: holds.Snapshot) -> str:
    if snapshot.tenant_is_held(request.tenant_id):
        return "tenant"
    if request.subject_index in snapshot.subject_indexes(request.tenant_id):
        return "subject"
    return ""


def _not_held(queryset, tenant_id, snapshot: holds.Snapshot, kept: dict):
    """Leave out rows under an object hold, and rows whose parent row is held; counts them in `kept`."""
    model = queryset.model
    unheld = queryset
    held = snapshot.object_ids(tenant_id, model)
    if held:
        unheld = unheld.exclude(pk__in=list(held))
    for field in model._meta.concrete_fields:
        if field.is_relation and field.many_to_one:
            parents = snapshot.object_ids(tenant_id, field.related_model)
            if parents:
                unheld = unheld.exclude(**{f"{field.name}__in": list(parents)})
    if unheld is not queryset:  # counted only when an object hold applies
        count = queryset.count() - unheld.count()
        if count:
            kept.setdefault(model._meta.label_lower, {})["legal_hold"] = count
    return unheld


def _erase_entry(request, entry, kind, state, snapshot) -> None:
    label = entry.model._meta.label_lower
    queryset = DATA_MAP.rows(entry, tenant_id=request.tenant_id, subject_index=request.subject_index)
    if entry.model is DataSubjectRequest:
        queryset = queryset.exclude(pk=request.pk)  # this one is blanked when it closes
    if entry.model._meta.label == settings.AUTH_USER_MODEL:
        # An account is platform-wide: it goes only when no other organisation's membership remains.
        others = queryset.filter(memberships__isnull=False)
        if others.exists():
            state["kept"][label] = {"member_elsewhere": others.count()}
        queryset = queryset.filter(memberships__isnull=True)
    unheld = _not_held(queryset, request.tenant_id, snapshot, state["kept"])
    if kind == "anonymise":
        n = unheld.update(**entry.anonymise)
        _add(state["counts"], label, "anonymised", n)
    else:
        counts = Counter()
        delete_rows(unheld, counts, state["kept"])
        for model_label, n in counts.items():
            _add(state["counts"], model_label, "deleted", n)


def _add(counts: dict, label: str, action: str, n: int) -> None:
    if n:
        counts.setdefault(label, {}).setdefault(action, 0)
        counts[label][action] += n


def _reverse_relations(model):
    return [
        f for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]


def delete_rows(queryset, counts: Counter, kept: dict, using: str = DEFAULT_DB_ALIAS) -> int:
    """Set-based delete of the rows of `queryset` and what depends on them (no Collector)."""
    model = queryset.model
    label = model._meta.label_lower
    pks = queryset
    for rel in _reverse_relations(model):
        child, fk = rel.related_model, rel.field.name
        dependants = child._base_manager.filter(**{f"{fk}__in": pks.values("pk")})
        handler = rel.on_delete
        if handler is models.CASCADE:
            delete_rows(dependants, counts, kept, using)
        elif handler is models.SET_NULL:
            dependants.update(**{fk: None})
        elif handler is models.PROTECT or handler is models.RESTRICT:
            protected = list(dependants.values_list(rel.field.attname, flat=True).distinct())
            if protected:
                kept.setdefault(label, {})["referenced_by_kept_records"] = len(protected)
                pks = pks.exclude(pk__in=protected)
    n = pks._raw_delete(using)
    counts[label] += n
    return n


def _subject_objects(request) -> models.QuerySet:
    """The subject's live objects in this tenant: recorded with their blind index, or referenced
    by a declaration's stored_object field on one of their rows."""
    live = StoredObject.objects.filter(tenant_id=request.tenant_id, deleted_at__isnull=True)
    found = models.Q(subject_index=request.subject_index)
    for entry in DATA_MAP.subject_declarations():
        if entry.stored_object:
            rows = DATA_MAP.rows(entry, tenant_id=request.tenant_id, subject_index=request.subject_index)
            found |= models.Q(pk__in=rows.exclude(**{f"{entry.stored_object}__isnull": True}).values(entry.stored_object))
    return live.filter(found)


def _erase_objects(request, state, snapshot) -> None:
    """Batched bucket deletes (delete_objects, 1000 keys), then the records closed and anonymised."""
    unheld = _not_held(_subject_objects(request), request.tenant_id, snapshot, state["kept"])
    prefixes = sorted(set(objectstore.PREFIXES.values()), key=len, reverse=True)
    for batch in objectstore.delete_matching(unheld, reason="erasure", batch=OBJECT_BATCH):
        for key in batch.keys:
            prefix = next((p for p in prefixes if key.startswith(p)), "other/")
            state["objects"][prefix] = state["objects"].get(prefix, 0) + 1
        state.setdefault("erased_keys", []).extend(batch.keys)
        state.setdefault("locked_keys", []).extend(batch.locked)
        for key in batch.locked:
            prefix = next((p for p in prefixes if key.startswith(p)), "other/")
            state.setdefault("locked", {})[prefix] = state.setdefault("locked", {}).get(prefix, 0) + 1


def _finish(request, state) -> None:
    """Close the request (in the caller's transaction): suppression, proof, e-mail blanked after the mail."""
    now = timezone.now()
    held = state.get("held", "")
    proof = {
        "reference": request.reference,
        "subject_hash": blind_index(request.subject_index, purpose="erasure-proof"),
        "received_at": request.received_at.isoformat(),
        "started_at": state["started_at"],
        "finished_at": now.isoformat(),
        "deleted_or_anonymised": state["counts"],
        "bucket_objects_deleted": state["objects"],
        # Versions the bucket refuses to delete (Object Lock): still readable, never counted as deleted.
        "bucket_objects_locked": state.get("locked", {}),
        "kept": state["kept"],
        "legal_hold": held or None,
        # Art. 17(2)/19: who else received the subject's images, when, and what they may keep.
        "subprocessors_that_received_images": state.get("recipients", []),
        "verification": None if held else verify(request=request, state=state),
    }
    if not held:
        # Outside the database, before this transaction commits: a failed write rolls the close back.
        erasure_ledger.append(erasure_ledger.Entry(
            tenant_id=request.tenant_id, tenant_slug=request.tenant.slug, subject_index=request.subject_index,
            reference=request.reference, erased_at=now.isoformat()))
        ErasureSuppression.objects.bulk_create(
            [ErasureSuppression(tenant_id=request.tenant_id, subject_index=request.subject_index, request=request)],
            ignore_conflicts=True,
        )
    email = request.email
    closing = {"proof": proof, "work_state": state, "progress_done": request.progress_total,
               "progress_total": request.progress_total, "lease_until": None, "email": ""}
    if held:
        # A tenant or subject hold kept everything: that is a refusal on legal grounds, not an erasure.
        set_status(request=request, status=Status.DENIED, actor="system:erasure",
                   denial_reason=DenialReason.LEGAL_OBLIGATION, **closing)
        label = DenialReason.LEGAL_OBLIGATION.label
        transaction.on_commit(lambda: mail.denied(
            request=request, to=email, reason_label=label,
            text="Your data is under a legal hold; you may file a new erasure request once the hold has ended."))
    else:
        set_status(request=request, status=Status.FULFILLED, actor="system:erasure", **closing)
        partly_held = bool(state["kept"]) and any("legal_hold" in kept for kept in state["kept"].values())
        transaction.on_commit(lambda: mail.erasure_done(request=request, to=email, partly_held=partly_held))
    audit.record(action="privacy_request.erased", actor="system:erasure", tenant=request.tenant_id, target=request,
                 metadata={"rows": sum(sum(v.values()) for v in state["counts"].values()),
                           "objects": sum(state["objects"].values()), "legal_hold": held or None,
                           "verified": None if held else proof["verification"]["passed"]})


def verify(*, request, state: dict) -> dict:
    """Check the proof's claims against storage, after the work: every version under the erased keys
    is listed (none may be left; locked ones are reported apart), and every path of the data map is
    queried again for the subject's rows (none may be left but those the proof says were kept)."""
    erased, locked = state.get("erased_keys", []), set(state.get("locked_keys", []))
    remaining = objectstore.remaining_versions([*erased, *locked])
    versions_left = sum(n for key, n in remaining.items() if key not in locked)
    rows_left = subject_rows_left(tenant_id=request.tenant_id, subject_index=request.subject_index,
                                  request_pk=request.pk, kept=state["kept"])
    return {
        "checked_at": timezone.now().isoformat(),
        "object_keys_checked": len(erased) + len(locked),
        "object_versions_left": versions_left,
        "locked_versions_left": sum(n for key, n in remaining.items() if key in locked),
        "rows_left": rows_left,
        "passed": versions_left == 0 and not rows_left,
    }


def subject_rows_left(*, tenant_id, subject_index: str, request_pk, kept: dict) -> dict[str, int]:
    """Per declaration, the subject's rows an erasure would still delete or anonymise, beyond the
    `kept` counts ({label: {reason: n}}); an account that is a member elsewhere is not counted."""
    left_over: dict[str, int] = {}
    for entry in DATA_MAP.subject_declarations():
        if entry.model is StoredObject:
            continue  # objects are checked in the bucket (and by _subject_objects)
        rows = DATA_MAP.rows(entry, tenant_id=tenant_id, subject_index=subject_index)
        if entry.model is DataSubjectRequest:
            rows = rows.exclude(pk=request_pk)
        if entry.model._meta.label == settings.AUTH_USER_MODEL:
            elsewhere = entry.model.memberships.rel.related_model.objects.exclude(tenant_id=tenant_id)
            rows = rows.exclude(pk__in=elsewhere.values("user_id"))
        if entry.erasure == ANONYMISE:
            fields = list(entry.anonymise)
            expected = tuple(entry.anonymise[f] for f in fields)
            left = sum(1 for values in rows.values_list(*fields) if tuple(values) != expected)
        else:
            left = rows.count()
        left -= sum(v for reason, v in kept.get(entry.label, {}).items() if reason != "member_elsewhere")
        if left > 0:
            left_over[entry.name] = left
    return left_over


@dataclass(frozen=True)
class Replayed:
    reference: str
    tenant: str
    outcome: str  # reapplied | up_to_date | tenant_absent | held
    rows: int = 0
    objects: int = 0


def replay(*, entry: erasure_ledger.Entry) -> Replayed:
    """Re-apply one ledger entry to a database that does not reflect it (restored from a backup):
    the subject's rows and objects are erased again, the suppression and the closed, blanked request
    record put back. Does nothing when the database already reflects it. One transaction."""
    from governance.models import Tenant

    done = functools.partial(Replayed, entry.reference, entry.tenant_slug)
    with transaction.atomic():
        if not Tenant.objects.filter(pk=entry.tenant_id).exists():
            return done("tenant_absent")
        request = DataSubjectRequest.objects.select_for_update().filter(
            tenant_id=entry.tenant_id, reference=entry.reference).first()
        subject = SimpleNamespace(tenant_id=entry.tenant_id, subject_index=entry.subject_index,
                                  pk=request.pk if request else None)
        snapshot = holds.Snapshot()
        if _hold(subject, snapshot):
            return done("held")
        closed = request is None or (request.status == Status.FULFILLED and request.email == "")
        if (closed and is_suppressed(tenant_id=entry.tenant_id, subject_index=entry.subject_index)
                and not _subject_objects(subject).exists()
                and not subject_rows_left(tenant_id=entry.tenant_id, subject_index=entry.subject_index,
                                          request_pk=subject.pk, kept={})):
            return done("up_to_date")
        state = {"counts": {}, "objects": {}, "kept": {}}
        for kind, step in Plan().steps:
            if kind == "objects":
                _erase_objects(subject, state, snapshot)
            else:
                _erase_entry(subject, step, kind, state, snapshot)
        ErasureSuppression.objects.bulk_create(
            [ErasureSuppression(tenant_id=entry.tenant_id, subject_index=entry.subject_index, request=request)],
            ignore_conflicts=True,
        )
        if request is not None and not closed:
            DataSubjectRequest.objects.filter(pk=request.pk).update(
                status=Status.FULFILLED, email="", closed_at=request.closed_at or timezone.now(), lease_until=None,
                progress_done=request.progress_total)
        rows = sum(sum(v.values()) for v in state["counts"].values())
        objects = sum(state["objects"].values())
        audit.record(action="privacy_request.erasure_replayed", actor="system:replay", tenant=entry.tenant_id,
                     target=request, metadata={"reference": entry.reference, "rows": rows, "objects": objects,
                                               "erased_at": entry.erased_at})
    return done("reapplied", rows, objects)


def is_suppressed(*, tenant_id, subject_index: str) -> bool:
    return ErasureSuppression.objects.filter(tenant_id=tenant_id, subject_index=subject_index).exists()


def on_member_joined(sender, *, tenant_id, subject_index: str, **kwargs) -> None:
    """Receiver of governance.tenancy.tenants.member_joined."""
    flag_return(tenant_id=tenant_id, subject_index=subject_index)


def flag_return(*, tenant_id, subject_index: str) -> bool:
    """An erased identity came back (import, sign-up): flag it (audited) so the tenant can act."""
    with transaction.atomic():
        flagged = ErasureSuppression.objects.filter(
            tenant_id=tenant_id, subject_index=subject_index
        ).update(returned_at=timezone.now())
        source = "database"
        if not flagged and _in_ledger(tenant_id=tenant_id, subject_index=subject_index):
            # The database was restored from before the erasure: the ledger still knows.
            ErasureSuppression.objects.create(tenant_id=tenant_id, subject_index=subject_index,
                                              returned_at=timezone.now())
            flagged, source = 1, "ledger"
        if flagged:
            audit.record(action="privacy.erased_identity_returned", actor="system", tenant=tenant_id,
                         metadata={"suppressions": flagged, "source": source})
    return bool(flagged)


def _in_ledger(*, tenant_id, subject_index: str) -> bool:
    try:
        return bool(erasure_ledger.read_all(tenant_id=tenant_id, subject_index=subject_index))
    except erasure_ledger.LedgerUnreadable as exc:
        log.warning("erasure ledger not readable while checking a returning member: %s", exc.code)
        return False
