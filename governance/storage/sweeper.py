"""The transient-object sweeper: nothing outlives its deadline, and bucket and database agree.

Run every minute by Celery beat (governance.sweep_objects). Each pass
1. deletes every object past its deadline (jobs delete their own images when they end, and the
   object behind a temporary link has a one-hour deadline, so normally there is nothing to do);
   retained images under a legal hold are kept and counted;
2. reconciles both ways: an object in the bucket with no live record is deleted (every version),
   a live record whose object is gone is closed, a live object's noncurrent versions are deleted. Only things older than SWEEP_GRACE_SECONDS are judged, because
   objectstore.put writes the object inside the transaction that records it.
It counts what it had to do in a SweepRun; a non-zero count is logged as a warning.
"""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance import audit
from governance.models import StoredObject, SweepRun
from governance.retention import holds
from governance.storage import objectstore

log = logging.getLogger(__name__)
BATCH = 500
KEEP_CLEAN_RUNS = timedelta(days=7)  # runs that found nothing are pruned after this; others stay


def sweep(*, now=None) -> SweepRun:
    started = now or timezone.now()
    run = SweepRun(started_at=started)
    run.expired_deleted, run.held_skipped = delete_expired(now=started)
    run.orphans_deleted, run.missing_closed, run.noncurrent_deleted = reconcile(now=started)
    run.needed_work = bool(run.expired_deleted or run.orphans_deleted or run.missing_closed or run.noncurrent_deleted)
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save()
        if run.needed_work:
            audit.record(
                action="objects.swept",
                actor="system",
                target=run,
                metadata={
                    "expired_deleted": run.expired_deleted,
                    "orphans_deleted": run.orphans_deleted,
                    "missing_closed": run.missing_closed,
                    "noncurrent_deleted": run.noncurrent_deleted,
                },
            )
        SweepRun.objects.filter(needed_work=False, started_at__lt=started - KEEP_CLEAN_RUNS).delete()
    if run.needed_work:
        log.warning(
            "object sweeper: deleted %d object(s) past their deadline, deleted %d unrecorded object(s), "
            "closed %d record(s) whose object was gone, deleted %d noncurrent version(s)",
            run.expired_deleted,
            run.orphans_deleted,
            run.missing_closed,
            run.noncurrent_deleted,
        )
    return run


def _is_held(obj: StoredObject, snapshot: holds.Snapshot) -> bool:
    """Legal holds stop retention: they keep retained images, never transient ones (which must go)."""
    if obj.purpose != StoredObject.Purpose.RETAINED_IMAGE or obj.tenant_id is None:
        return False
    return (
        snapshot.tenant_is_held(obj.tenant_id)
        or str(obj.pk) in snapshot.object_ids(obj.tenant_id, StoredObject)
        or obj.subject_index in snapshot.subject_indexes(obj.tenant_id)
    )


def delete_expired(*, now) -> tuple[int, int]:
    """Delete live objects past their deadline, in batches; returns (deleted, kept by a hold)."""
    deleted, held_ids, snapshot = 0, set(), holds.Snapshot()
    due = StoredObject.objects.filter(deleted_at__isnull=True, deadline__lte=now).order_by("deadline", "pk")
    while True:
        batch = list(due.exclude(pk__in=held_ids)[:BATCH])
        if not batch:
            break
        doomed = []
        for obj in batch:
            (held_ids.add(obj.pk) if _is_held(obj, snapshot) else doomed.append(obj))
        if not doomed:
            continue
        per_tenant = Counter(o.tenant_id for o in doomed)
        with transaction.atomic():
            deleted += objectstore.delete(doomed, reason="deadline")
            held_ids.update(o.pk for o in doomed if o.deleted_at is None)  # kept by Object Lock
            for tenant_id, count in per_tenant.items():
                audit.record(
                    action="objects.deleted_past_deadline", actor="system", tenant=tenant_id, metadata={"count": count}
                )
    return deleted, len(held_ids)


def reconcile(*, now) -> tuple[int, int, int]:
    """Bucket against database, both ways, every version included; returns (unrecorded objects
    deleted, records closed, noncurrent versions of live objects deleted)."""
    store = objectstore.backend()
    cutoff = now - timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    seen: set[str] = set()
    orphans: set[str] = set()
    noncurrent = 0
    for prefix in sorted(set(objectstore.PREFIXES.values())):
        for page in objectstore.deletable_pages(store, prefix):
            seen.update(v.key for v in page if v.latest and not v.delete_marker)
            noncurrent += _delete_unrecorded(store, page, cutoff, orphans)

    missing_closed = 0
    live = StoredObject.objects.filter(deleted_at__isnull=True, created_at__lt=cutoff).order_by("pk")
    last = None
    while True:
        rows = list((live.filter(pk__gt=last) if last else live).values_list("pk", "key")[:1000])
        if not rows:
            break
        last = rows[-1][0]
        gone = [pk for pk, key in rows if key not in seen]
        if gone:
            missing_closed += StoredObject.objects.filter(pk__in=gone, deleted_at__isnull=True).update(
                deleted_at=timezone.now(), deleted_reason="missing"
            )
    return len(orphans), missing_closed, noncurrent


def _delete_unrecorded(store, page: list, cutoff, orphans: set[str]) -> int:
    """Delete, among `page`, old versions of unrecorded keys (adding the keys to `orphans`) and old
    noncurrent versions of recorded ones (bytes an overwrite left behind); returns the latter's count."""
    if not page:
        return 0
    recorded = set(
        StoredObject.objects.filter(key__in={v.key for v in page}, deleted_at__isnull=True).values_list("key", flat=True)
    )
    doomed, noncurrent = [], 0
    for version in page:
        if version.modified >= cutoff:
            continue
        if version.key not in recorded:
            doomed.append(version)
            if not version.delete_marker:
                orphans.add(version.key)
        elif not version.latest:
            doomed.append(version)
            noncurrent += not version.delete_marker
    if doomed:
        store.delete_versions(doomed)
    return noncurrent
