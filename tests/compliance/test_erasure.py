"""Erasure: every table and bucket, anonymise what stays, proof without personal data, suppression,
legal holds, idempotent and resumable (a run crashed half-way finishes with nothing done twice)."""

import json
from datetime import timedelta
from types import SimpleNamespace

import boto3
import pytest
from django.core import mail

from compliance import erasure, review
from compliance.models import DataSubjectRequest, ErasureSuppression
from compliance.requests import file_request
from governance.audit import verify_chain
from governance.crypto import blind_index
from governance.models import (
    ApiKey,
    AuditEvent,
    ConsentRecord,
    Membership,
    StoredObject,
    User,
)
from governance.retention import holds
from governance.storage import objectstore
from governance.tenancy.tenants import add_member
from search.models import SearchJob, SearchResult

from .conftest import searches

BOB = "bob@acme.example"
pytestmark = pytest.mark.django_db


def objects_for(actor, jobs):
    """A transient image on the first job, a retained image on the second, an old export archive."""
    transient = objectstore.put(purpose=StoredObject.Purpose.TRANSIENT_IMAGE, data=b"img", content_type="image/jpeg",
                                lifetime=timedelta(hours=1), tenant=actor.tenant)
    retained = objectstore.put(purpose=StoredObject.Purpose.RETAINED_IMAGE, data=b"kept", content_type="image/jpeg",
                               lifetime=timedelta(days=30), tenant=actor.tenant, subject_index=actor.user.email_index)
    export = objectstore.put(purpose=StoredObject.Purpose.EXPORT_ARCHIVE, data=b"zip", content_type="application/zip",
                             lifetime=timedelta(hours=1), tenant=actor.tenant, subject_index=actor.user.email_index)
    SearchJob.objects.filter(pk=jobs[0].pk).update(image=transient)
    SearchJob.objects.filter(pk=jobs[1].pk).update(retained_image=retained)
    return [transient, retained, export]


def approved_erasure(tenant, email, admin, committed):
    request = file_request(tenant=tenant, kind="erasure", regime="gdpr", email=email, source="form", verified=True)
    with committed():
        review.approve(request=request, actor=admin.user)
    request.refresh_from_db()
    return request


def bucket_keys(bucket):
    listing = boto3.client("s3", endpoint_url=objectstore.backend().client.meta.endpoint_url).list_objects_v2(Bucket=bucket)
    return {o["Key"] for o in listing.get("Contents", [])}


def test_it_erases_a_member_from_every_table_and_bucket_and_proves_it(s3_bucket, alice, bob, dave, committed, outbox):
    jobs = searches(bob, jobs=3, results_per_job=2)
    objs = objects_for(bob, jobs)
    other = searches(dave, jobs=1)  # another tenant's member: untouched
    assert len(bucket_keys(s3_bucket)) == 3

    request = approved_erasure(bob.tenant, BOB, alice, committed)
    request.refresh_from_db()

    assert request.status == "fulfilled" and request.email == ""
    assert not SearchJob.objects.filter(tenant=bob.tenant).exists()
    assert not SearchResult.objects.filter(tenant=bob.tenant).exists()
    assert not User.objects.filter(email_index=blind_index(BOB)).exists()
    assert not Membership.objects.filter(tenant=bob.tenant, role="member").exists()
    assert not ApiKey.objects.filter(user_id=bob.user.pk).exists()
    assert [k for k in bucket_keys(s3_bucket) if not k.startswith("ledger/")] == []  # the ledger entry stays
    assert all(o.deleted_at and o.deleted_reason == "erasure" and o.subject_index == ""
               for o in StoredObject.objects.filter(pk__in=[o.pk for o in objs]))
    assert SearchJob.objects.filter(pk=other[0].pk).exists() and User.objects.filter(pk=dave.user.pk).exists()

    proof = request.proof
    assert proof["deleted_or_anonymised"]["search.searchjob"] == {"deleted": 3}
    assert proof["deleted_or_anonymised"]["search.searchresult"] == {"deleted": 6}
    assert proof["deleted_or_anonymised"]["governance.user"] == {"deleted": 1}
    assert proof["bucket_objects_deleted"] == {"tmp/images/": 1, "retained/images/": 1, "tmp/exports/": 1}
    assert proof["started_at"] <= proof["finished_at"] and proof["legal_hold"] is None
    assert proof["subject_hash"] != blind_index(BOB) and len(proof["subject_hash"]) == 64
    text = json.dumps(proof)
    assert "bob" not in text and "@" not in text
    assert ErasureSuppression.objects.filter(tenant=bob.tenant, subject_index=blind_index(BOB)).exists()
    assert request.progress_done == request.progress_total > 0
    assert outbox[-1].to == [BOB] and "erased" in outbox[-1].body
    for event in AuditEvent.objects.all():
        assert "bob" not in json.dumps(event.metadata) and "@" not in event.actor
    assert verify_chain().ok


def test_consent_evidence_and_request_records_stay_anonymised(alice, committed):
    from governance import consent

    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    earlier = file_request(tenant=alice.tenant, kind="access", regime="gdpr", email="alice@acme.example", source="api")
    admin2, _ = add_member(tenant=alice.tenant, email="second@acme.example", role="admin")
    request = approved_erasure(alice.tenant, "alice@acme.example", type(alice)(admin2, "x"), committed)
    request.refresh_from_db()
    assert request.status == "fulfilled"
    earlier.refresh_from_db()
    assert earlier.email == "" and earlier.reference  # the record of the earlier request stays, without e-mail
    records = ConsentRecord.objects.filter(tenant=alice.tenant)
    assert records.count() == 1 and records.get().accepted_by_id is None  # the evidence stays, without who
    assert request.proof["deleted_or_anonymised"]["compliance.datasubjectrequest"] == {"anonymised": 1}


def test_an_account_that_belongs_to_another_tenant_too_is_kept(alice, bob, charlie, committed):
    add_member(tenant=charlie.tenant, email=BOB)
    searches(bob, jobs=2)
    request = approved_erasure(bob.tenant, BOB, alice, committed)
    request.refresh_from_db()
    assert not SearchJob.objects.filter(tenant=bob.tenant).exists()
    assert User.objects.filter(email_index=blind_index(BOB)).exists()
    assert Membership.objects.filter(tenant=charlie.tenant, user__email_index=blind_index(BOB)).exists()
    assert request.proof["kept"]["governance.user"] == {"member_elsewhere": 1}


def test_a_subject_hold_stops_erasure_and_the_proof_says_so(alice, bob, committed):
    searches(bob, jobs=2)
    holds.set_hold(tenant=bob.tenant, scope="subject", reason="litigation", subject_email=BOB, actor=alice.user)
    request = approved_erasure(bob.tenant, BOB, alice, committed)
    request.refresh_from_db()
    # nothing was erased: a refusal on legal grounds, said as such to the subject, not a completion
    assert (request.status, request.denial_reason) == ("denied", "legal_obligation")
    assert request.proof["legal_hold"] == "subject"
    assert SearchJob.objects.filter(tenant=bob.tenant).count() == 2
    assert not ErasureSuppression.objects.exists()
    [told] = [m for m in mail.outbox if request.reference in m.subject and "denied" in m.subject]
    assert "legal hold" in told.body and "erased the personal data" not in told.body


def test_an_object_hold_keeps_just_that_row_and_its_results(alice, bob, committed):
    jobs = searches(bob, jobs=3, results_per_job=2)
    holds.set_hold(tenant=bob.tenant, scope="object", reason="evidence", object_type="search.searchjob",
                   object_id=str(jobs[0].pk), actor=alice.user)
    request = approved_erasure(bob.tenant, BOB, alice, committed)
    request.refresh_from_db()
    assert list(SearchJob.objects.values_list("pk", flat=True)) == [jobs[0].pk]
    assert SearchResult.objects.filter(job=jobs[0]).count() == 2
    assert request.proof["kept"]["search.searchjob"] == {"legal_hold": 1}
    assert request.proof["deleted_or_anonymised"]["search.searchjob"] == {"deleted": 2}
    [told] = [m for m in mail.outbox if request.reference in m.subject and "complete" in m.subject]
    assert "legal hold" in told.body and "will then be erased" not in told.body


class Crash(Exception):
    pass


def test_a_run_crashed_half_way_resumes_and_nothing_is_done_twice(s3_bucket, alice, bob, committed):
    jobs = searches(bob, jobs=4, results_per_job=3)
    objects_for(bob, jobs)
    request = file_request(tenant=bob.tenant, kind="erasure", regime="ccpa", email=BOB, source="api", verified=True)
    DataSubjectRequest.objects.filter(pk=request.pk).update(status="in_progress")
    names = erasure.Plan().names()
    crash_after = names.index("objects") + 1  # the bucket is empty, the first table is gone

    def crash(sender, request_id, step, **kwargs):
        if step == names[crash_after]:
            raise Crash()

    erasure.step_committed.connect(crash)
    try:
        with pytest.raises(Crash):
            erasure.run(request_id=str(request.pk))
    finally:
        erasure.step_committed.disconnect(crash)
    half = DataSubjectRequest.objects.get(pk=request.pk)
    assert half.status == "in_progress" and 0 < half.progress_done < half.progress_total
    assert bucket_keys(s3_bucket) == set()

    assert erasure.run(request_id=str(request.pk)) is True
    assert erasure.run(request_id=str(request.pk)) is False  # a second delivery finds nothing to do
    done = DataSubjectRequest.objects.get(pk=request.pk)
    assert done.status == "fulfilled"
    assert done.proof["deleted_or_anonymised"]["search.searchresult"] == {"deleted": 12}
    assert done.proof["deleted_or_anonymised"]["search.searchjob"] == {"deleted": 4}
    assert sum(done.proof["bucket_objects_deleted"].values()) == 3
    assert AuditEvent.objects.filter(action="privacy_request.erased").count() == 1


def test_an_erased_identity_that_signs_up_again_is_flagged(alice, bob, committed):
    approved_erasure(bob.tenant, BOB, alice, committed)
    add_member(tenant=bob.tenant, email=BOB)
    assert ErasureSuppression.objects.get().returned_at is not None
    assert AuditEvent.objects.filter(action="privacy.erased_identity_returned").count() == 1


def test_no_personal_data_in_logs_or_the_status_api(alice, bob, committed, caplog):
    import logging

    from rest_framework.test import APIClient

    caplog.set_level(logging.DEBUG)
    searches(bob, jobs=2)
    request = approved_erasure(bob.tenant, BOB, alice, committed)
    body = APIClient().get(f"/api/v1/privacy-requests/{request.reference}/").json()
    assert body["status"] == "fulfilled" and body["progress_done"] == body["progress_total"] > 0
    text = json.dumps(body) + caplog.text
    assert "bob" not in text.lower() and "acme.example" not in text


def test_the_resume_task_requeues_work_whose_worker_died(alice, bob, committed):
    from django.utils import timezone

    from compliance import tasks

    searches(bob, jobs=2)
    request = file_request(tenant=bob.tenant, kind="erasure", regime="gdpr", email=BOB, source="api", verified=True)
    # Approved a while ago; the worker died before finishing (no live lease).
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        status="in_progress", reviewed_at=timezone.now() - timedelta(minutes=5), lease_until=None
    )
    assert tasks.resume_stalled_requests() == 1  # eager here: the erasure runs at once
    assert DataSubjectRequest.objects.get(pk=request.pk).status == "fulfilled"
    assert tasks.resume_stalled_requests() == 0
    assert tasks.check_request_deadlines()["expired"] == 0


def _versioned(bucket):
    objectstore.backend().client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def _versions(bucket):
    listing = objectstore.backend().client.list_object_versions(Bucket=bucket)
    found = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
    return [v for v in found if not v["Key"].startswith("ledger/")]  # the erasure ledger's entries stay


def test_on_a_versioned_bucket_no_version_stays_and_the_proof_checks_itself(s3_bucket, alice, bob, committed):
    _versioned(s3_bucket)
    jobs = searches(bob, jobs=2)
    objs = objects_for(bob, jobs)
    objectstore.replace(objs[1], data=b"blurred", content_type="image/jpeg")
    old = [(v["Key"], v["VersionId"]) for v in _versions(s3_bucket)]
    request = approved_erasure(bob.tenant, BOB, alice, committed)
    assert request.status == "fulfilled"
    assert _versions(s3_bucket) == []
    for key, version in old:
        with pytest.raises(Exception, match="NoSuchVersion|NoSuchKey|404"):
            objectstore.backend().client.get_object(Bucket=s3_bucket, Key=key, VersionId=version)
    check = request.proof["verification"]
    assert check["passed"] is True and check["object_keys_checked"] == 3
    assert check["object_versions_left"] == 0 and check["rows_left"] == {}
    assert request.proof["bucket_objects_locked"] == {}
    assert AuditEvent.objects.get(action="privacy_request.erased").metadata["verified"] is True


def test_the_verification_finds_what_came_back(s3_bucket, alice, bob, committed):
    _versioned(s3_bucket)
    objs = objects_for(bob, searches(bob, jobs=2))
    request = approved_erasure(bob.tenant, BOB, alice, committed)
    # A copy written back under an erased key, and the subject's rows back (a restored backup, an import).
    objectstore.backend().client.put_object(Bucket=s3_bucket, Key=objs[1].key, Body=b"kept")
    membership, _ = add_member(tenant=bob.tenant, email=BOB)
    searches(SimpleNamespace(tenant=bob.tenant, user=membership.user), jobs=2)
    check = erasure.verify(request=request, state=request.work_state)
    assert check["passed"] is False and check["object_versions_left"] == 1
    assert check["rows_left"] == {
        "search.searchjob:search_text": 2, "search.searchresult:search_results": 4, "governance.user:account": 1,
        "governance.membership:account": 1, "governance.apikey:account": 1}


def test_a_version_under_object_lock_is_reported_as_locked_not_deleted(s3_server, settings, alice, bob, committed):
    import uuid
    from datetime import UTC, datetime

    name = f"sg-lock-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(
        Bucket=name, ObjectLockEnabledForBucket=True)
    settings.S3_BUCKET, settings.S3_ENDPOINT_URL, settings.S3_REGION = name, s3_server, "us-east-1"
    objectstore._backend_for.cache_clear()
    objs = objects_for(bob, searches(bob, jobs=2))
    client = objectstore.backend().client
    version = _versions(name)[[v["Key"] for v in _versions(name)].index(objs[1].key)]["VersionId"]
    client.put_object_retention(Bucket=name, Key=objs[1].key, VersionId=version, Retention={
        "Mode": "COMPLIANCE", "RetainUntilDate": datetime.now(UTC) + timedelta(days=1)})
    request = approved_erasure(bob.tenant, BOB, alice, committed)
    proof = request.proof
    assert proof["bucket_objects_locked"] == {"retained/images/": 1}
    assert proof["bucket_objects_deleted"] == {"tmp/images/": 1, "tmp/exports/": 1}
    assert proof["verification"]["locked_versions_left"] == 1 and proof["verification"]["passed"] is True
    assert [v["Key"] for v in _versions(name)] == [objs[1].key]
    objectstore._backend_for.cache_clear()
