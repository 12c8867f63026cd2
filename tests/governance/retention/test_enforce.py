"""Retention enforcement: age boundaries, holds, restart after a kill, tenant isolation, dry run."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from compliance.models import DataSubjectRequest
from compliance.requests import file_request
from governance import audit
from governance.crypto import blind_index
from governance.datamap import DATA_MAP, DataMap
from governance.datamap.categories import retention_choices
from governance.errors import SightguardError
from governance.models import (
    AccessRequest,
    AuditEvent,
    LegalHold,
    RetentionPolicy,
    RetentionProgress,
    RetentionRun,
    StoredObject,
    TenantRetentionRule,
)
from governance.retention import enforce, holds, rules
from governance.storage import objectstore
from governance.support import grants, workflow
from search.models import SearchJob, UsageEvent
from tests.governance.support.fixtures import ask, end_grant, grant, make_job, sam  # noqa: F401

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0) + timedelta(days=1)  # a fixed "now", after every fixture row
SECOND = timedelta(seconds=1)


def usage(tenant, age, n=1):
    return [
        UsageEvent.objects.create(tenant=tenant, created_at=NOW - age, provider="offline", used_context=False, outcome="done")
        for _ in range(n)
    ]


def job(tenant, user, age, **extra):
    return SearchJob.objects.create(
        tenant=tenant, created_by=user, created_at=NOW - age, provider="offline", context="falcon", description="a gearbox", **extra
    )


def policy(category):
    return RetentionPolicy.objects.get(category=category)


class Killed(BaseException):
    """Stands for the worker dying: not an Exception, so nothing in enforce catches it."""


class BatchReceivers:
    """Functions called as fn(progress, ids) after each committed batch, through enforce.batch_committed."""

    def __init__(self):
        self.connected = []

    def append(self, fn):
        def receiver(sender, progress, ids, **kwargs):
            fn(progress, ids)

        self.connected.append(receiver)
        enforce.batch_committed.connect(receiver)

    def clear(self):
        for receiver in self.connected:
            enforce.batch_committed.disconnect(receiver)
        self.connected.clear()


@pytest.fixture
def job_of_bob(bob):
    return make_job(bob, context="CTX", description="DESC")


@pytest.fixture
def batch_hooks():
    receivers = BatchReceivers()
    yield receivers
    receivers.clear()


# --- boundaries ----------------------------------------------------------------------------------


def test_a_usage_event_one_second_past_its_age_goes_one_second_short_stays(acme):
    max_age = policy("usage_events").max_age
    (past,) = usage(acme, max_age + SECOND)
    (short,) = usage(acme, max_age - SECOND)
    (exact,) = usage(acme, max_age)
    enforce.enforce(now=NOW)
    assert not UsageEvent.objects.filter(pk=past.pk).exists()
    assert UsageEvent.objects.filter(pk=short.pk).exists()
    assert UsageEvent.objects.filter(pk=exact.pk).exists()


def test_a_search_job_and_its_image_go_together(alice, jpeg):
    max_age = policy("search_text").max_age
    image = objectstore.put(
        purpose=StoredObject.Purpose.RETAINED_IMAGE, data=jpeg(), content_type="image/jpeg", lifetime=timedelta(days=400), tenant=alice.tenant
    )
    old = job(alice.tenant, alice.user, max_age + SECOND, image=image)
    young = job(alice.tenant, alice.user, max_age - SECOND)
    enforce.enforce(now=NOW, category="search_text")
    assert not SearchJob.objects.filter(pk=old.pk).exists()
    assert SearchJob.objects.filter(pk=young.pk).exists()
    image.refresh_from_db()
    assert image.deleted_at is not None and image.deleted_reason == "retention"
    assert not objectstore.backend().exists(image.key)


def test_transient_images_go_from_the_bucket_after_an_hour(acme, jpeg):
    old = objectstore.put(purpose=StoredObject.Purpose.TRANSIENT_IMAGE, data=jpeg(), content_type="image/jpeg", lifetime=timedelta(hours=1), tenant=acme)
    young = objectstore.put(purpose=StoredObject.Purpose.TRANSIENT_IMAGE, data=jpeg(), content_type="image/jpeg", lifetime=timedelta(hours=1), tenant=acme)
    StoredObject.objects.filter(pk=old.pk).update(created_at=NOW - timedelta(hours=1) - SECOND)
    StoredObject.objects.filter(pk=young.pk).update(created_at=NOW - timedelta(hours=1) + SECOND)
    report = enforce.enforce(now=NOW)
    old.refresh_from_db()
    young.refresh_from_db()
    assert old.deleted_at and not objectstore.backend().exists(old.key)
    assert young.deleted_at is None and objectstore.backend().exists(young.key)
    assert report.counts["transient_images"] == {str(acme.pk): {"deleted": 1}}


def test_request_records_are_kept_24_months_after_their_answer(acme):
    closed = file_request(tenant=acme, kind="erasure", regime="ccpa", email="erin@example.com", source="form")
    recent = file_request(tenant=acme, kind="access", regime="gdpr", email="finn@example.com", source="form")
    still_open = file_request(tenant=acme, kind="access", regime="gdpr", email="gus@example.com", source="form")
    DataSubjectRequest.objects.filter(pk=closed.pk).update(closed_at=NOW - timedelta(days=730) - SECOND, status="fulfilled")
    DataSubjectRequest.objects.filter(pk=recent.pk).update(closed_at=NOW - timedelta(days=730) + SECOND, status="fulfilled")
    DataSubjectRequest.objects.filter(pk=still_open.pk).update(received_at=NOW - timedelta(days=2000))
    enforce.enforce(now=NOW)
    assert set(DataSubjectRequest.objects.values_list("pk", flat=True)) == {recent.pk, still_open.pk}


def test_anonymise_blanks_the_description_keeps_the_job_and_does_it_once(alice):
    TenantRetentionRule.objects.create(tenant=alice.tenant, category="search_text", max_age=timedelta(days=2), action="anonymise")
    old = job(alice.tenant, alice.user, timedelta(days=2) + SECOND)
    young = job(alice.tenant, alice.user, timedelta(days=2) - SECOND)
    first = enforce.enforce(now=NOW)
    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.context, old.description, old.status) == ("", "", "queued")
    assert (young.context, young.description) == ("falcon", "a gearbox")
    assert first.counts["search_text"] == {str(alice.tenant.pk): {"anonymised": 1}}
    second = enforce.enforce(now=NOW)
    assert "search_text" not in second.counts  # already anonymised rows are not rewritten


# --- holds ---------------------------------------------------------------------------------------


def test_a_tenant_wide_hold_keeps_everything_of_that_tenant_only(alice, charlie):
    age = policy("usage_events").max_age + SECOND
    usage(alice.tenant, age, 3)
    usage(charlie.tenant, age, 2)
    holds.set_hold(tenant=alice.tenant, scope="tenant", reason="litigation 2026-17", actor=alice.user)
    report = enforce.enforce(now=NOW)
    assert UsageEvent.objects.filter(tenant=alice.tenant).count() == 3
    assert UsageEvent.objects.filter(tenant=charlie.tenant).count() == 0
    assert {p.note for p in RetentionProgress.objects.filter(run=report.run, category="usage_events", tenant=alice.tenant)} == {"tenant_held"}  # each target: usage events, transfers


def test_a_subject_hold_keeps_that_persons_jobs_and_objects(alice, bob, jpeg):
    age = policy("search_text").max_age + SECOND
    bobs, alices = job(alice.tenant, bob.user, age), job(alice.tenant, alice.user, age)
    bobs_export = objectstore.put(
        purpose=StoredObject.Purpose.EXPORT_ARCHIVE, data=b"zip", content_type="application/zip", lifetime=timedelta(hours=1),
        tenant=alice.tenant, subject_index=blind_index("bob@acme.example"),
    )
    StoredObject.objects.filter(pk=bobs_export.pk).update(created_at=NOW - timedelta(days=1))
    hold = holds.set_hold(tenant=alice.tenant, scope="subject", subject_email="bob@acme.example", reason="case 9", actor=alice.user)
    enforce.enforce(now=NOW)
    assert SearchJob.objects.filter(pk=bobs.pk).exists()
    assert not SearchJob.objects.filter(pk=alices.pk).exists()
    bobs_export.refresh_from_db()
    assert bobs_export.deleted_at is None and objectstore.backend().exists(bobs_export.key)

    holds.release_hold(hold=hold, actor=alice.user)
    enforce.enforce(now=NOW)
    assert not SearchJob.objects.filter(pk=bobs.pk).exists()
    bobs_export.refresh_from_db()
    assert bobs_export.deleted_at is not None


def test_an_object_hold_keeps_that_row(acme):
    kept, gone = usage(acme, policy("usage_events").max_age + SECOND, 2)
    holds.set_hold(tenant=acme, scope="object", object_type="search.usageevent", object_id=str(kept.pk), reason="evidence", actor=None)
    enforce.enforce(now=NOW)
    assert list(UsageEvent.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_hold_in_another_tenant_protects_nothing_here(acme, globex):
    (row,) = usage(acme, policy("usage_events").max_age + SECOND)
    holds.set_hold(tenant=globex, scope="tenant", reason="globex case", actor=None)
    holds.set_hold(tenant=globex, scope="object", object_type="search.usageevent", object_id=str(row.pk), reason="x", actor=None)
    enforce.enforce(now=NOW)
    assert not UsageEvent.objects.filter(pk=row.pk).exists()


def test_a_hold_placed_mid_run_stops_the_run_from_the_next_batch(acme, batch_hooks, monkeypatch):
    monkeypatch.setattr(enforce._Pass, "HOLDS_TTL", 0)  # re-read holds before every batch
    usage(acme, policy("usage_events").max_age + SECOND, 9)
    batch_hooks.append(lambda progress, ids: LegalHold.objects.get_or_create(tenant=acme, scope="tenant", defaults={"reason": "urgent"}))
    report = enforce.enforce(now=NOW, batch_size=3)
    assert UsageEvent.objects.count() == 6
    assert RetentionProgress.objects.get(run=report.run, category="usage_events", tenant=acme).note == "tenant_held"


# --- restart -------------------------------------------------------------------------------------


def test_a_run_killed_half_way_resumes_where_it_stopped_and_leaves_nothing_due(acme, batch_hooks):
    age = policy("usage_events").max_age
    due = usage(acme, age + SECOND, 10)
    keep = usage(acme, age - SECOND, 2)
    batches = []

    def die_after_first_batch(progress, ids):
        batches.append(list(ids))
        if len(batches) == 1:
            raise Killed

    batch_hooks.append(die_after_first_batch)
    with pytest.raises(Killed):
        enforce.enforce(now=NOW, batch_size=3)
    run = RetentionRun.objects.get()
    assert run.finished_at is None and run.status == "running"
    assert UsageEvent.objects.count() == 12 - 3  # the first batch committed with its cursor
    progress = RetentionProgress.objects.get(run=run, category="usage_events", tenant=acme)
    assert progress.processed == 3 and progress.cursor == str(max(batches[0]))

    with pytest.raises(SightguardError) as refused:  # its lease still runs: a second worker keeps out
        enforce.enforce(now=NOW, batch_size=3)
    assert refused.value.code == "retention_run_in_progress"

    RetentionRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() - SECOND)  # the lease runs out
    report = enforce.enforce(now=NOW, batch_size=3)
    assert report.run.pk == run.pk and report.run.resumed == 1 and report.run.status == "done"
    assert set(UsageEvent.objects.values_list("pk", flat=True)) == {e.pk for e in keep}
    assert report.counts["usage_events"] == {str(acme.pk): {"deleted": len(due)}}
    assert min(batches[1]) > max(batches[0])  # resumed after the cursor, not from the start


def test_a_killed_run_with_other_filters_is_abandoned_and_a_new_run_does_the_work(acme, globex, batch_hooks):
    usage(acme, policy("usage_events").max_age + SECOND, 4)

    def die(progress, ids):
        raise Killed

    batch_hooks.append(die)
    with pytest.raises(Killed):
        enforce.enforce(now=NOW, batch_size=2, tenant=acme)
    batch_hooks.clear()
    RetentionRun.objects.update(lease_until=timezone.now() - SECOND)
    report = enforce.enforce(now=NOW, batch_size=2)
    assert RetentionRun.objects.get(pk=report.run.pk - 1).status == "abandoned"
    assert UsageEvent.objects.count() == 0


def test_one_failing_target_is_recorded_and_the_others_still_run(acme, alice):
    def broken(declaration, ids, action):
        raise RuntimeError("bucket unreachable for someone@example.com")

    jobs = DATA_MAP.for_model(SearchJob)[0]
    failing = replace(jobs, retention=replace(jobs.retention, handler=broken))
    data_map = DataMap([failing if d is jobs else d for d in DATA_MAP.declarations()])
    kept = job(acme, alice.user, timedelta(days=40))  # past search_text's 30 days: its handler fails
    usage(acme, timedelta(days=400), 1)
    report = enforce.enforce(now=NOW, data_map=data_map)
    assert report.run.status == "failed"
    assert report.errors == [{"target": "search.searchjob:search_text", "tenant": acme.pk, "error": "RuntimeError"}]
    assert list(SearchJob.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not UsageEvent.objects.exists()  # usage_events still ran
    event = AuditEvent.objects.filter(action="retention.run").get()
    assert event.metadata["errors"] == 1 and "example.com" not in repr(event.metadata)


# --- tenants -------------------------------------------------------------------------------------


def test_tenant_a_rule_never_touches_tenant_b(acme, globex):
    TenantRetentionRule.objects.create(tenant=acme, category="usage_events", max_age=timedelta(days=30))
    usage(acme, timedelta(days=31), 2)
    globex_rows = usage(globex, timedelta(days=31), 2)
    enforce.enforce(now=NOW)
    assert UsageEvent.objects.filter(tenant=acme).count() == 0
    assert set(UsageEvent.objects.values_list("pk", flat=True)) == {e.pk for e in globex_rows}


def test_a_run_for_one_tenant_leaves_other_tenants_alone(acme, globex):
    age = policy("usage_events").max_age + SECOND
    usage(acme, age, 2)
    usage(globex, age, 2)
    report = enforce.enforce(now=NOW, tenant=acme)
    assert UsageEvent.objects.filter(tenant=acme).count() == 0
    assert UsageEvent.objects.filter(tenant=globex).count() == 2
    assert set(report.counts["usage_events"]) == {str(acme.pk)}


# --- dry run -------------------------------------------------------------------------------------


def test_the_dry_run_deletes_nothing_and_says_what_would_go(alice, jpeg):
    rows = usage(alice.tenant, policy("usage_events").max_age + SECOND, 3)
    old_job = job(alice.tenant, alice.user, policy("search_text").max_age + SECOND)
    image = objectstore.put(purpose=StoredObject.Purpose.TRANSIENT_IMAGE, data=jpeg(), content_type="image/jpeg", lifetime=timedelta(hours=1), tenant=alice.tenant)
    StoredObject.objects.filter(pk=image.pk).update(created_at=NOW - timedelta(days=1))
    before_audit = AuditEvent.objects.count()
    listing = enforce.would_go(now=NOW, actor=alice.user)
    assert UsageEvent.objects.count() == 3 and SearchJob.objects.filter(pk=old_job.pk).exists()
    image.refresh_from_db()
    assert image.deleted_at is None and objectstore.backend().exists(image.key)
    by_category = {r["category"]: r for r in listing if r["count"]}
    assert by_category["usage_events"]["count"] == 3
    assert by_category["usage_events"]["sample"] == [str(r.pk) for r in rows]
    assert by_category["search_text"]["sample"] == [str(old_job.pk)]
    assert by_category["transient_images"]["count"] == 1
    assert AuditEvent.objects.filter(action="retention.dry_run").count() == 1
    assert AuditEvent.objects.count() == before_audit + 1


# --- run record, audit, rules --------------------------------------------------------------------


def test_a_run_records_counts_per_category_and_tenant_and_one_audit_event(acme, globex):
    usage(acme, timedelta(days=400), 2)
    usage(globex, timedelta(days=400), 1)
    report = enforce.enforce(now=NOW, actor="system:test")
    run = RetentionRun.objects.get(pk=report.run.pk)
    assert run.counts["usage_events"] == {str(acme.pk): {"deleted": 2}, str(globex.pk): {"deleted": 1}}
    assert run.status == "done" and run.finished_at and run.duration_seconds > 0 and run.errors == []
    (event,) = AuditEvent.objects.filter(action="retention.run")
    assert event.target_id == str(run.pk) and event.metadata["totals"] == {"usage_events": 3}
    assert audit.verify_chain().ok


@pytest.mark.parametrize(
    "category, max_age, action, enabled, code",
    [
        ("usage_events", timedelta(days=29), "delete", True, "retention_out_of_bounds"),
        ("usage_events", timedelta(days=800), "delete", True, "retention_out_of_bounds"),
        ("transient_images", timedelta(hours=2), "delete", True, "retention_out_of_bounds"),
        ("transient_images", timedelta(minutes=30), "delete", False, "retention_out_of_bounds"),
        ("usage_events", timedelta(days=60), "anonymise", True, "retention_action_unsupported"),
        ("audit_events", timedelta(days=400), "delete", True, "retention_platform_only"),
    ],
)
def test_tenant_overrides_stay_within_the_platform_bounds(acme, alice, category, max_age, action, enabled, code):
    rule = TenantRetentionRule(tenant=acme, category=category, max_age=max_age, action=action, enabled=enabled)
    with pytest.raises(SightguardError) as refused:
        rules.save_tenant_rule(rule=rule, actor=alice.user)
    assert refused.value.code == code
    assert not TenantRetentionRule.objects.exists()


def test_a_valid_override_is_saved_and_audited(acme, alice):
    rule = TenantRetentionRule(tenant=acme, category="usage_events", max_age=timedelta(days=60))
    rules.save_tenant_rule(rule=rule, actor=alice.user)
    event = AuditEvent.objects.filter(action="retention.rule_set").get()
    assert event.tenant_id == acme.pk and event.metadata["max_age_seconds"] == 60 * 86400
    assert rules.effective_rule(category="usage_events", tenant_id=acme.pk).max_age == timedelta(days=60)


def test_every_category_ships_with_an_explained_default():
    assert {p.category for p in RetentionPolicy.objects.all()} == set(dict(retention_choices()))
    for p in RetentionPolicy.objects.all():
        assert len(p.description) > 40
        assert p.min_age <= p.max_age and (p.max_age_bound is None or p.max_age <= p.max_age_bound)
    assert policy("transient_images").max_age == timedelta(hours=1)
    assert policy("export_archives").max_age == timedelta(hours=1)
    assert policy("privacy_requests").max_age == timedelta(days=730)
    assert policy("audit_events").enabled is False


# --- the audit log -------------------------------------------------------------------------------


def test_pruning_removes_whole_sealed_prefixes_and_says_so_in_a_signed_checkpoint(acme, globex):
    RetentionPolicy.objects.filter(category="audit_events").update(enabled=True, max_age=timedelta(days=365))
    for n in range(5):
        audit.record(action="test.old", tenant=acme, metadata={"n": n})
    cutoff = timezone.now()
    for n in range(3):
        audit.record(action="test.young", tenant=globex, metadata={"n": n})
    old = AuditEvent.objects.filter(created_at__lt=cutoff)
    old_count, acme_old = old.count(), old.filter(tenant=acme).count()
    report = enforce.enforce(now=cutoff + timedelta(days=365), category="audit_events", batch_size=4)
    assert not AuditEvent.objects.filter(created_at__lt=cutoff).exists()
    assert AuditEvent.objects.filter(action="test.young").count() == 3
    assert report.counts["audit_events"] == {"platform": {"deleted": old_count}}
    log = audit.log_for(tenant=acme)
    assert log.pruned_below == acme_old
    assert f"pruned 0 {acme_old} retention" in audit.newest_checkpoint(log=log).note
    assert audit.verify_chain().ok


def test_outside_a_prune_the_database_still_refuses_audit_deletes(acme):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only (SQLite relies on the ORM guard and the checkpoints)")
    audit.seal()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("SET LOCAL sightguard.audit_prune = 'on'")  # the old switch opens nothing
        c.execute("DELETE FROM governance_auditevent")


def test_audit_pruning_leaves_a_held_tenants_log_whole(acme, globex):
    RetentionPolicy.objects.filter(category="audit_events").update(enabled=True, max_age=timedelta(days=365))
    globex_events = AuditEvent.objects.filter(tenant=globex).count()
    audit.record(action="test.after", tenant=acme)
    holds.set_hold(tenant=globex, scope="tenant", reason="regulator", actor=None)
    enforce.enforce(now=timezone.now() + timedelta(days=400), category="audit_events")
    assert AuditEvent.objects.filter(tenant=globex).count() >= globex_events
    assert audit.log_for(tenant=globex).pruned_below == 0
    assert not AuditEvent.objects.filter(tenant=acme, action="test.after").exists()
    assert audit.verify_chain().ok


def test_audit_events_are_kept_by_default(acme):
    audit.record(action="test.event", tenant=acme)
    count = AuditEvent.objects.count()
    enforce.enforce(now=timezone.now() + timedelta(days=9000))
    assert AuditEvent.objects.count() == count + 1  # the run's own event; nothing pruned


# --- task and command ----------------------------------------------------------------------------


def test_the_hourly_task_is_scheduled_and_runs_enforcement(acme):
    from governance.tasks import enforce_retention
    from tests.conftest import beat_interval

    assert beat_interval("governance.enforce_retention") == timedelta(hours=1)
    usage(acme, timedelta(days=500), 2)
    run_id = enforce_retention.apply().get()
    assert RetentionRun.objects.get(pk=run_id).status == "done"
    assert not UsageEvent.objects.filter(created_at__lt=timezone.now() - timedelta(days=450)).exists()
    assert enforce_retention.apply().get() != run_id  # idempotent: a second delivery is a harmless new run


def test_the_task_steps_aside_while_a_run_holds_its_lease(acme):
    from governance.tasks import enforce_retention

    RetentionRun.objects.create(actor="system", lease_until=timezone.now() + timedelta(minutes=5))
    assert enforce_retention.apply().get() is None


def test_the_command_runs_with_filters_and_a_dry_run(acme, globex, capsys):
    usage(acme, timedelta(days=500), 2)
    usage(globex, timedelta(days=500), 1)
    call_command("enforce_retention", "--dry-run", "--no-progress")
    assert UsageEvent.objects.count() == 3
    assert "3 rows would go" in capsys.readouterr().out
    call_command("enforce_retention", "--tenant", "acme", "--category", "usage_events")
    out = capsys.readouterr()
    assert "2 rows processed" in out.out and "retention" in out.err  # the tqdm bar writes to stderr
    assert list(UsageEvent.objects.values_list("tenant__slug", flat=True)) == ["globex"]


def test_the_command_refuses_an_unknown_tenant_or_category(db):
    with pytest.raises(CommandError, match="retention_unknown_tenant"):
        call_command("enforce_retention", "--tenant", "nope", "--no-progress")
    with pytest.raises(CommandError):
        call_command("enforce_retention", "--category", "everything", "--no-progress")


def test_holds_are_audited_without_the_subject(acme, alice):
    hold = holds.set_hold(tenant=acme, scope="subject", subject_email="Bob@Acme.example", reason="case 4", actor=alice.user)
    assert hold.subject_index == blind_index("bob@acme.example") and hold.created_by == alice.user
    assert holds.Snapshot().subject_indexes(acme.pk) == {hold.subject_index}
    holds.release_hold(hold=hold, actor=alice.user)
    assert not holds.release_hold(hold=hold, actor=alice.user)
    actions = list(AuditEvent.objects.filter(target_type="governance.legalhold").order_by("id").values_list("action", "metadata"))
    assert actions == [("legal_hold.set", {"scope": "subject", "object_type": None}), ("legal_hold.released", {"scope": "subject"})]
    assert "acme.example" not in repr(list(AuditEvent.objects.values_list("metadata", flat=True)))
    assert LegalHold.objects.get().released_by == alice.user


# --- support access records ----------------------------------------------------------------------


def closed_and_open_requests(sam, admin, prefix):
    """One support request of each end (denied, revoked, expired) and one of each open state."""
    denied = workflow.deny(request=ask(sam, admin.tenant, categories=["search_text"], ticket=f"{prefix}-1"),
                           actor=admin.user, comment="Not needed.")
    revoked = workflow.revoke(request=grant(sam, admin, categories=["search_text"], ticket=f"{prefix}-2"), actor=admin.user)
    expired = grant(sam, admin, categories=["search_text"], ticket=f"{prefix}-3")
    end_grant(expired)
    live = grant(sam, admin, categories=["search_text"], ticket=f"{prefix}-4")
    pending = ask(sam, admin.tenant, categories=["search_text"], ticket=f"{prefix}-5")
    return [denied, revoked, expired], [live, pending]


def test_an_ended_support_request_is_deleted_after_its_default_and_not_before(sam, alice):
    closed, _ = closed_and_open_requests(sam, alice, "SUP")
    limit = policy("support_access").max_age
    assert limit == timedelta(days=90)
    young = enforce.enforce(now=timezone.now() + limit - timedelta(minutes=5))
    assert "support_access" not in young.counts and AccessRequest.objects.filter(pk__in=[r.pk for r in closed]).count() == 3
    report = enforce.enforce(now=timezone.now() + limit + SECOND)
    assert report.counts["support_access"] == {str(alice.tenant.pk): {"deleted": 3}}
    assert not AccessRequest.objects.filter(pk__in=[r.pk for r in closed]).exists()


def test_a_live_grant_and_a_pending_request_never_expire_by_retention(sam, alice, job_of_bob):
    _, still_open = closed_and_open_requests(sam, alice, "SUP")
    enforce.enforce(now=timezone.now() + timedelta(days=3650))
    assert set(AccessRequest.objects.values_list("pk", flat=True)) == {r.pk for r in still_open}
    assert grants.can_see_content(user=sam, obj=job_of_bob)  # the live grant still works


def test_a_tenants_shorter_support_rule_touches_only_its_own_records(sam, alice, charlie):
    acme_closed, _ = closed_and_open_requests(sam, alice, "ACME")
    globex_closed, _ = closed_and_open_requests(sam, charlie, "GLOBEX")
    rules.save_tenant_rule(
        rule=TenantRetentionRule(tenant=charlie.tenant, category="support_access", max_age=timedelta(days=30)),
        actor=charlie.user,
    )
    report = enforce.enforce(now=timezone.now() + timedelta(days=31))
    assert report.counts["support_access"] == {str(charlie.tenant.pk): {"deleted": 3}}
    assert AccessRequest.objects.filter(pk__in=[r.pk for r in acme_closed]).count() == 3
    assert not AccessRequest.objects.filter(pk__in=[r.pk for r in globex_closed]).exists()
