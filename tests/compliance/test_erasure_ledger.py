"""The erasure ledger in the object store: written by every erasure, nothing personal in it, and
replayed after a real PostgreSQL backup/restore round trip (pg_dump / pg_restore of the test database)."""

import json
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from compliance import erasure_ledger
from compliance.models import DataSubjectRequest, ErasureSuppression
from governance.audit import verify_chain
from governance.crypto import blind_index
from governance.models import AuditEvent, StoredObject, User
from governance.storage import objectstore
from governance.tenancy.tenants import add_member
from search.models import SearchJob, SearchResult

from .conftest import searches
from .test_erasure import BOB, approved_erasure, objects_for


def ledger_objects():
    store = objectstore.backend()
    return {key: store.get(key) for key, _ in store.list_keys(erasure_ledger.PREFIX)}


@pytest.mark.django_db
def test_each_erasure_appends_one_entry_with_nothing_personal(alice, bob, committed):
    searches(bob, jobs=1)
    request = approved_erasure(bob.tenant, BOB, alice, committed)
    [(key, body)] = ledger_objects().items()
    entry = json.loads(body)
    assert entry["reference"] == request.reference and entry["tenant_id"] == bob.tenant.pk
    assert entry["subject_index"] == blind_index(BOB) and entry["tenant_slug"] == "acme"
    assert key == f"ledger/erasures/{bob.tenant.pk}/{blind_index(BOB)}/{request.reference}.json"
    assert b"bob" not in body and b"@" not in body and "bob" not in key


@pytest.mark.django_db
def test_a_held_erasure_writes_no_entry(alice, bob, committed):
    from governance.retention import holds

    holds.set_hold(tenant=bob.tenant, scope="subject", reason="litigation", subject_email=BOB, actor=alice.user)
    request = approved_erasure(bob.tenant, BOB, alice, committed)
    assert request.status == "denied" and ledger_objects() == {}


@pytest.mark.django_db
def test_an_unknown_tenant_or_an_unreadable_ledger_is_refused_and_nothing_done(alice, bob, committed):
    with pytest.raises(CommandError, match="tenant_unknown"):
        call_command("replay_erasures", "--tenant", "nope")
    searches(bob, jobs=1)
    approved_erasure(bob.tenant, BOB, alice, committed)
    objectstore.backend().put(f"{erasure_ledger.PREFIX}{bob.tenant.pk}/x/broken.json", b"not json", "application/json")
    membership, _ = add_member(tenant=bob.tenant, email=BOB)  # the subject is back...
    with pytest.raises(CommandError, match="ledger_unreadable"):
        call_command("replay_erasures")
    assert User.objects.filter(pk=membership.user_id).exists()  # ...and nothing was erased half-way


def pg(*args):
    settings = connection.settings_dict
    subprocess.run([*args, "-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432),
                    "-U", settings["USER"] or "postgres"], check=True, capture_output=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a pg_dump/pg_restore round trip needs PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restored_after_an_erasure_is_erased_again_by_replay(s3_bucket, alice, bob, dave, committed,
                                                                       tmp_path):
    objectstore.backend().client.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    jobs = searches(bob, jobs=2)
    objects_for(bob, jobs)
    others = searches(dave, jobs=1)
    name, dump = connection.settings_dict["NAME"], tmp_path / "backup.dump"
    pg("pg_dump", "-Fc", "-f", str(dump), "-d", name)  # the nightly backup, taken before the erasure

    request = approved_erasure(bob.tenant, BOB, alice, committed)
    assert request.status == "fulfilled" and not SearchJob.objects.filter(created_by_id=bob.user.pk).exists()

    connections.close_all()
    pg("pg_restore", "--clean", "--if-exists", "--single-transaction", "-d", name, str(dump))
    # The restore brought the subject back, their request open and their object records live.
    assert SearchJob.objects.filter(created_by__email_index=blind_index(BOB)).count() == 2
    assert not ErasureSuppression.objects.exists()
    assert not DataSubjectRequest.objects.filter(reference=request.reference).exists()  # filed after the backup

    out = StringIO()
    call_command("replay_erasures", stdout=out)
    assert f"{request.reference} acme: reapplied" in out.getvalue()
    assert "ledger entries: 1; 1 reapplied" in out.getvalue()
    assert not SearchJob.objects.filter(tenant=bob.tenant, created_by__isnull=False).exclude(
        created_by__email_index=blind_index("alice@acme.example")).exists()
    assert not SearchResult.objects.filter(job__tenant=bob.tenant).exists()
    assert not User.objects.filter(email_index=blind_index(BOB)).exists()
    assert not StoredObject.objects.filter(tenant=bob.tenant, deleted_at__isnull=True).exists()
    assert ErasureSuppression.objects.filter(tenant=bob.tenant, subject_index=blind_index(BOB)).exists()
    assert SearchJob.objects.filter(pk=others[0].pk).exists()  # another tenant's member untouched
    replayed = AuditEvent.objects.get(action="privacy_request.erasure_replayed")
    assert replayed.metadata["reference"] == request.reference and "bob" not in json.dumps(replayed.metadata)
    assert verify_chain().ok

    again = StringIO()
    call_command("replay_erasures", stdout=again)  # the database now reflects the ledger: nothing to do
    assert again.getvalue().strip() == "ledger entries: 1; 1 up_to_date"
    assert AuditEvent.objects.filter(action="privacy_request.erasure_replayed").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a pg_dump/pg_restore round trip needs PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_returning_identity_is_flagged_from_the_ledger_after_a_restore(alice, bob, committed, tmp_path):
    name, dump = connection.settings_dict["NAME"], tmp_path / "backup.dump"
    pg("pg_dump", "-Fc", "-f", str(dump), "-d", name)
    approved_erasure(bob.tenant, BOB, alice, committed)
    connections.close_all()
    pg("pg_restore", "--clean", "--if-exists", "--single-transaction", "-d", name, str(dump))
    assert not ErasureSuppression.objects.exists()
    add_member(tenant=bob.tenant, email="someone-new@acme.example")  # never erased: not flagged
    assert not ErasureSuppression.objects.exists()
    User.objects.filter(email_index=blind_index(BOB)).delete()
    add_member(tenant=bob.tenant, email=BOB)  # the erased identity signs up again
    suppression = ErasureSuppression.objects.get(tenant=bob.tenant, subject_index=blind_index(BOB))
    assert suppression.returned_at is not None
    flagged = AuditEvent.objects.get(action="privacy.erased_identity_returned")
    assert flagged.metadata["source"] == "ledger"
