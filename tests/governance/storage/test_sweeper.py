"""The transient-object sweeper: deadlines, reconciliation both ways, counts, beat schedule, admin."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from config import celery_app
from governance.models import AuditEvent, StoredObject, SweepRun
from governance.storage import objectstore, sweeper

pytestmark = pytest.mark.django_db
TRANSIENT = StoredObject.Purpose.TRANSIENT_IMAGE


@pytest.fixture(params=["local", "s3"])
def store(request):
    if request.param == "s3":
        request.getfixturevalue("s3_bucket")
    return objectstore.backend()


def _put(tenant, purpose=TRANSIENT, lifetime=timedelta(minutes=30)):
    return objectstore.put(purpose=purpose, data=b"pixels", content_type="image/jpeg", lifetime=lifetime, tenant=tenant)


def _keys(store):
    return sorted(k for k, _ in store.list_keys(""))


def test_nothing_to_do_is_a_quiet_zero(store, acme, caplog):
    live = _put(acme)
    with caplog.at_level(logging.WARNING, logger="governance.storage.sweeper"):
        run = sweeper.sweep()
    assert (run.expired_deleted, run.orphans_deleted, run.missing_closed, run.needed_work) == (0, 0, 0, False)
    assert [r for r in caplog.records if r.name == "governance.storage.sweeper"] == []
    assert _keys(store) == [live.key]
    assert SweepRun.objects.get() == run and not AuditEvent.objects.filter(action="objects.swept").exists()


def test_objects_past_their_deadline_are_deleted_counted_and_warned_about(store, acme, globex, caplog):
    due = [_put(acme), _put(acme), _put(globex)]
    later = _put(acme, lifetime=timedelta(hours=1))
    with caplog.at_level(logging.WARNING, logger="governance.storage.sweeper"):
        run = sweeper.sweep(now=timezone.now() + timedelta(minutes=31))
    assert run.expired_deleted == 3 and run.needed_work
    assert _keys(store) == [later.key]
    for obj in due:
        obj.refresh_from_db()
        assert obj.deleted_reason == "deadline" and obj.deleted_at is not None
    records = [r for r in caplog.records if r.name == "governance.storage.sweeper"]
    assert [r.levelname for r in records] == ["WARNING"]
    assert "deleted 3 object(s) past their deadline" in records[0].getMessage()
    per_tenant = {e.tenant_id: e.metadata for e in AuditEvent.objects.filter(action="objects.deleted_past_deadline")}
    assert per_tenant == {acme.pk: {"count": 2}, globex.pk: {"count": 1}}
    assert AuditEvent.objects.get(action="objects.swept").metadata["expired_deleted"] == 3
    assert sweeper.sweep(now=timezone.now() + timedelta(minutes=31)).expired_deleted == 0  # idempotent


def test_an_object_with_no_record_is_deleted_once_past_the_grace_period(store, acme, settings):
    store.put("tmp/images/1/unrecorded", b"left behind by a crash", "image/jpeg")
    store.put("retained/images/1/unrecorded", b"left behind", "image/jpeg")
    kept = _put(acme, lifetime=timedelta(days=1))
    # Young: it may be a put whose transaction has not committed yet.
    assert sweeper.sweep().orphans_deleted == 0
    assert len(_keys(store)) == 3
    run = sweeper.sweep(now=timezone.now() + timedelta(seconds=settings.SWEEP_GRACE_SECONDS + 60))
    assert run.orphans_deleted == 2
    assert _keys(store) == [kept.key]


def test_a_closed_record_does_not_protect_its_object(store, acme, settings):
    obj = _put(acme)
    StoredObject.objects.filter(pk=obj.pk).update(deleted_at=timezone.now(), deleted_reason="job_ended")
    run = sweeper.sweep(now=timezone.now() + timedelta(seconds=settings.SWEEP_GRACE_SECONDS + 60))
    assert run.orphans_deleted == 1 and _keys(store) == []


def test_a_record_whose_object_is_gone_is_closed(store, acme, settings):
    obj = _put(acme, lifetime=timedelta(hours=1))
    store.delete_many([obj.key])
    assert sweeper.sweep().missing_closed == 0  # too young to judge
    run = sweeper.sweep(now=timezone.now() + timedelta(seconds=settings.SWEEP_GRACE_SECONDS + 60))
    obj.refresh_from_db()
    assert run.missing_closed == 1 and (obj.deleted_reason, obj.deleted_at is not None) == ("missing", True)


def test_temporary_objects_never_get_more_than_an_hour(store, acme):
    for purpose in (StoredObject.Purpose.EXPORT_ARCHIVE, StoredObject.Purpose.SUPPORT_VIEW, TRANSIENT):
        obj = _put(acme, purpose=purpose, lifetime=timedelta(days=30))
        assert obj.deadline - obj.created_at == timedelta(hours=1)
    assert sweeper.sweep(now=timezone.now() + timedelta(minutes=59)).expired_deleted == 0
    assert sweeper.sweep(now=timezone.now() + timedelta(minutes=61)).expired_deleted == 3
    assert _keys(store) == []


def test_clean_runs_are_pruned_after_a_week_but_runs_that_found_work_stay(acme):
    old = timezone.now() - timedelta(days=8)
    SweepRun.objects.create(started_at=old)
    worked = SweepRun.objects.create(started_at=old, expired_deleted=1, needed_work=True)
    sweeper.sweep()
    assert set(SweepRun.objects.filter(started_at=old)) == {worked}


def test_beat_runs_the_sweeper_every_minute():
    from tests.conftest import beat_interval

    assert beat_interval("governance.sweep_objects") == timedelta(minutes=1)
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert "governance.sweep_objects" in celery_app.tasks


def test_the_task_runs_a_sweep(acme):
    from governance.tasks import sweep_objects

    _put(acme, lifetime=timedelta(seconds=-1))
    sweep_objects.delay()
    assert SweepRun.objects.get().expired_deleted == 1


def test_the_operator_sees_sweep_counts_in_the_admin(client, operator, alice):
    SweepRun.objects.create(started_at=timezone.now(), expired_deleted=4, needed_work=True)
    client.force_login(operator)
    page = client.get("/admin/governance/sweeprun/")
    assert page.status_code == 200 and b"<td class=\"field-expired_deleted\">4</td>" in page.content
    client.force_login(alice.user)  # a tenant admin: platform housekeeping is not theirs
    assert client.get("/admin/governance/sweeprun/").status_code == 403


def test_legal_holds_keep_retained_images_past_their_deadline_but_never_transient_ones(acme, alice):
    from governance.retention import holds

    RETAINED = StoredObject.Purpose.RETAINED_IMAGE
    day = timedelta(days=1)
    of_subject = objectstore.put(purpose=RETAINED, data=b"p", content_type="image/jpeg", lifetime=day, tenant=acme,
                                 subject_index="held-subject")
    named = _put(acme, purpose=RETAINED, lifetime=day)
    free = _put(acme, purpose=RETAINED, lifetime=day)
    transient = _put(acme)
    holds.set_hold(tenant=acme, scope="subject", subject_index="held-subject", reason="case 1", actor=alice.user)
    holds.set_hold(tenant=acme, scope="object", object_type="governance.storedobject", object_id=str(named.pk),
                   reason="case 2", actor=alice.user)
    sweeper.sweep(now=timezone.now() + 2 * day)
    live = set(StoredObject.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True))
    assert live == {of_subject.pk, named.pk}
    holds.set_hold(tenant=acme, scope="tenant", reason="case 3", actor=alice.user)
    again, kept_by_tenant_hold = _put(acme), _put(acme, purpose=RETAINED, lifetime=day)
    sweeper.sweep(now=timezone.now() + 2 * day)
    assert not StoredObject.objects.filter(pk__in=[free.pk, transient.pk, again.pk], deleted_at__isnull=True).exists()
    assert StoredObject.objects.filter(pk=kept_by_tenant_hold.pk, deleted_at__isnull=True).exists()
