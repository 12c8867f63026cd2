import base64
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from governance import audit
from governance import audit_verifier as tree
from governance.models import AuditCheckpoint, AuditEvent, AuditLeaf, AuditLog, AuditNode, AuditSealState, StoredObject

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger and roles exist on PostgreSQL only")

# RFC 6962 reference leaves and roots (transparency-dev/merkle testonly vectors).
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION_5_OF_8 = [
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
]


def _events(tenant, n, action="test.event"):
    return [audit.record(action=action, actor="system", tenant=tenant, metadata={"n": i}) for i in range(n)]


def _tamper(*statements):
    """What someone with the tables' owner role can do: switch the guard off, write, switch it back."""
    tables = ("auditevent", "auditleaf", "auditnode", "auditcheckpoint")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for t in tables:
                cursor.execute(f"ALTER TABLE governance_{t} DISABLE TRIGGER USER")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            for t in tables:
                cursor.execute(f"ALTER TABLE governance_{t} ENABLE TRIGGER USER")


def _held(tmp_path, tenant, name="held.json"):
    """A tenant keeps the newest checkpoint as `audit_checkpoint --tenant` prints it."""
    path = tmp_path / name
    call_command("audit_checkpoint", tenant=tenant.slug, stdout=(out := __import__("io").StringIO()))
    path.write_text(out.getvalue())
    return path


def _verify(tenant, *held):
    call_command("verify_audit_chain", tenant=tenant.slug, checkpoint=[str(p) for p in held])


def _rebuild(log, event_ids):
    """The forger's recomputation: wipe the log's leaves, nodes and checkpoints, lay the given
    events down again in that order (hashes as the product computes them), and let the sealer
    sign the result. Everything a database writer can do without the signing key."""
    _tamper(
        ("DELETE FROM governance_auditleaf WHERE log_id = %s", [log.pk]),
        ("DELETE FROM governance_auditnode WHERE log_id = %s", [log.pk]),
        ("DELETE FROM governance_auditcheckpoint WHERE log_id = %s", [log.pk]),
    )
    rows = {r["id"]: r for r in AuditEvent.objects.filter(id__in=event_ids).values(*audit.ENTRY_FIELDS)}
    edge = tree.CompactRange()
    for event_id in event_ids:
        leaf = tree.leaf_hash(audit.entry_bytes(rows[event_id]))
        AuditLeaf.objects.create(log=log, index=edge.size, event_id=event_id, hash=leaf)
        edge.append(leaf)
    AuditLog.objects.filter(pk=log.pk).update(size=edge.size, edge=edge.pack(), root_hash=edge.root(), needs_checkpoint=True)
    audit.seal()


# --- the tree ---------------------------------------------------------------------------------------


def test_hashing_matches_the_rfc_6962_reference_vectors():
    leaves = [tree.leaf_hash(bytes.fromhex(h)) for h in CT_LEAVES]
    for size in range(9):
        assert tree.root_of(leaves[:size]).hex() == CT_ROOTS[size]
    path = tree.inclusion_path(5, 8, lambda a, b: tree.root_of(leaves[a:b]))
    assert [p.hex() for p in path] == CT_INCLUSION_5_OF_8


def test_every_inclusion_and_consistency_proof_verifies_and_a_wrong_one_does_not():
    leaves = [tree.leaf_hash(bytes([i, i * 7 % 256])) for i in range(37)]

    def subtree(a, b):
        return tree.root_of(leaves[a:b])

    for size in range(1, 38):
        root = tree.root_of(leaves[:size])
        for index in range(size):
            path = tree.inclusion_path(index, size, subtree)
            tree.verify_inclusion(index=index, size=size, leaf=leaves[index], path=path, root=root)
            with pytest.raises(tree.VerificationError):
                tree.verify_inclusion(index=index, size=size, leaf=leaves[(index + 1) % 37], path=path, root=root)
        for old in range(1, size):
            path = tree.consistency_path(old, size, subtree)
            tree.verify_consistency(old_size=old, new_size=size, old_root=tree.root_of(leaves[:old]), new_root=root, path=path)
            with pytest.raises(tree.VerificationError):
                tree.verify_consistency(old_size=old, new_size=size, old_root=b"\x00" * 32, new_root=root, path=path)


# --- appending and sealing ---------------------------------------------------------------------------


def test_each_tenant_has_its_own_log_sealed_in_order_with_a_signed_checkpoint(acme, globex):
    acme_events = _events(acme, 3)
    globex_events = _events(globex, 2)
    platform = audit.record(action="test.platform")
    report = audit.seal()
    assert report.sealed >= 6
    for tenant, events in ((acme, acme_events), (globex, globex_events), (None, [platform])):
        log = audit.log_for(tenant=tenant)
        leaves = list(AuditLeaf.objects.filter(log=log).order_by("index").values_list("event_id", flat=True))
        assert leaves[-len(events):] == [e.pk for e in events]
        assert leaves == sorted(leaves)  # in id order, no gaps
        checkpoint = tree.open_checkpoint(audit.newest_checkpoint(log=log).note, tree.Verifier.parse(audit.verifier_key()))
        assert (checkpoint.origin, checkpoint.size) == (log.origin, len(leaves))
    assert audit.log_for(tenant=acme).origin != audit.log_for(tenant=globex).origin
    assert audit.seal().sealed == 0 and audit.seal().checkpoints == []  # nothing new: no new checkpoint


def test_record_many_appends_in_one_go_and_a_rolled_back_append_never_reaches_the_log(acme):
    audit.seal()
    events = audit.record_many(events=[{"action": "test.bulk", "tenant": acme, "metadata": {"n": n}} for n in range(300)])
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(action="test.rolled_back", tenant=acme)
        raise RuntimeError
    report = audit.seal()
    assert report.sealed == 300
    assert AuditLeaf.objects.filter(event_id__in=[e.pk for e in events]).count() == 300
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
    assert AuditNode.objects.filter(log=audit.log_for(tenant=acme), level=8).exists()  # 256-leaf subtrees stored
    assert audit.verify_chain().ok


def test_proofs_from_the_database_verify_against_signed_checkpoints(acme):
    events = _events(acme, 300)
    first = audit.current_checkpoint(tenant=acme)
    more = _events(acme, 230)
    newest = audit.current_checkpoint(tenant=acme)
    log = audit.log_for(tenant=acme)
    verifier = tree.Verifier.parse(audit.verifier_key())
    old, new = tree.open_checkpoint(first.note, verifier), tree.open_checkpoint(newest.note, verifier)
    for event in (events[0], events[137], more[-1]):
        proof = audit.inclusion_proof(event=event, checkpoint=newest)
        path = [base64.b64decode(p) for p in proof["path"]]
        tree.verify_inclusion(index=proof["index"], size=new.size, leaf=tree.leaf_hash(proof["entry"].encode()), path=path, root=new.root)
        assert json.loads(proof["entry"])["id"] == event.pk
    proof = audit.consistency_proof(log=log, old_size=old.size, new_size=new.size)
    tree.verify_consistency(
        old_size=old.size, new_size=new.size, old_root=old.root, new_root=new.root, path=[base64.b64decode(p) for p in proof["path"]]
    )
    with pytest.raises(LookupError):
        audit.inclusion_proof(event=more[-1], checkpoint=first)  # not covered by the older checkpoint


def test_checkpoints_are_copied_to_the_object_store(acme):
    _events(acme, 2)
    checkpoint = audit.current_checkpoint(tenant=acme)
    copies = StoredObject.objects.filter(purpose=StoredObject.Purpose.AUDIT_CHECKPOINT, tenant=acme)
    from governance.storage import objectstore

    assert checkpoint.note.encode() in [objectstore.read(o) for o in copies]


def test_the_sealer_gives_way_to_a_running_one(acme):
    _events(acme, 1)
    with transaction.atomic():
        AuditSealState.objects.get_or_create(pk=1)
        AuditSealState.objects.select_for_update().get(pk=1)
        if connection.vendor != "postgresql":
            return  # SQLite has no row locks to see; the one writer serialises sealers anyway
        from threading import Thread

        result = {}

        def other():
            from django.db import connections

            result["report"] = audit.seal(wait=False)
            connections.close_all()

        thread = Thread(target=other)
        thread.start()
        thread.join()
    assert result["report"].busy


def test_newest_checkpoint_age_reports_seconds_since_the_last_checkpoint(acme):
    assert audit.newest_checkpoint_age(tenant=acme) is None or audit.newest_checkpoint_age(tenant=acme) >= 0
    _events(acme, 1)
    audit.seal()
    age = audit.newest_checkpoint_age(tenant=acme)
    assert age is not None and 0 <= age < 60


def test_appended_events_are_returned_as_stored(bob, globex):
    one = audit.record(action="test.one", actor=bob.user, tenant=bob.tenant, target=bob.membership, metadata={"n": 1, "ok": True})
    many = audit.record_many(events=[
        {"action": "test.many", "tenant": globex, "target": ("search.searchjob", 7), "metadata": {"codes": ["a", "b"]}},
        {"action": "test.many", "actor": "system"},  # the platform's log
        {"action": "test.many", "tenant": bob.tenant.pk, "metadata": {1: {"depth": None}}},
    ])
    assert audit.record_many(events=[]) == []
    for event in [one, *many[:2]]:  # (JSON object keys come back as text, as with Model.save)
        stored = AuditEvent.objects.get(pk=event.pk)
        assert {f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields} == {
            f.attname: getattr(stored, f.attname) for f in AuditEvent._meta.concrete_fields
        }
    assert [e.pk for e in many] == sorted(e.pk for e in many)  # one INSERT, in the order given
    assert (one.actor, one.target_type, one.target_id) == (f"user:{bob.user.pk}", bob.membership._meta.label_lower, str(bob.membership.pk))
    assert [e.tenant_id for e in many] == [globex.pk, None, bob.tenant.pk]
    assert many[2].metadata == {1: {"depth": None}} and AuditEvent.objects.get(pk=many[2].pk).metadata == {"1": {"depth": None}}
    if connection.vendor == "postgresql":
        assert one.txid is not None and len({e.txid for e in many}) == 1
    assert audit.seal().sealed >= 4 and audit.verify_chain().ok


def test_a_refused_append_raises_django_s_error_and_later_appends_go_through(acme):
    with pytest.raises(IntegrityError), transaction.atomic():
        audit.record(action=None, tenant=acme)  # the column is NOT NULL
    with CaptureQueriesContext(connection) as seen:  # statements stay visible to Django's query log
        event = audit.record(action="test.after", tenant=acme)
    assert [q for q in seen.captured_queries if "governance_auditevent" in q["sql"]]
    assert AuditEvent.objects.filter(pk=event.pk, action="test.after").exists()
    assert not AuditEvent.objects.filter(action=None).exists()


def test_metadata_refuses_personal_data(acme):
    with pytest.raises(ValueError):
        audit.record(action="test", tenant=acme, metadata={"who": "alice@acme.example"})
    with pytest.raises(ValueError):
        audit.record(action="test", tenant=acme, metadata={"note": "x" * 500})
    with pytest.raises(ValueError):
        audit.record_many(events=[{"action": "test", "tenant": acme, "metadata": {"who": "bob@acme.example"}}])
    for hidden in ({"a": {"b": "carol@acme.example"}}, {"fields": ["ok", "dave@acme.example"]}, {"when": object()}):
        with pytest.raises(ValueError):
            audit.record(action="test", tenant=acme, metadata=hidden)
    assert not AuditEvent.objects.filter(action="test").exists()  # nothing half-written


def test_actors_are_named_without_personal_data(bob):
    event = audit.record(action="test", actor=bob.user, tenant=bob.tenant)
    assert event.actor == f"user:{bob.user.pk}"


# --- commands --------------------------------------------------------------------------------------


def test_audit_checkpoint_prints_one_json_document_and_issues_a_new_one_when_the_log_grew(acme, capsys):
    call_command("audit_checkpoint", tenant="acme")
    first = json.loads(capsys.readouterr().out)
    call_command("audit_checkpoint", tenant="acme")
    assert json.loads(capsys.readouterr().out) == first  # nothing new: the same checkpoint
    _events(acme, 1)
    call_command("audit_checkpoint", tenant="acme")
    second = json.loads(capsys.readouterr().out)
    assert second["tree_size"] == first["tree_size"] + 1
    assert second["origin"] == first["origin"] and second["checkpoint"].startswith(first["origin"] + "\n")
    verifier = tree.Verifier.parse(second["verifier_key"])
    assert tree.open_checkpoint(second["checkpoint"], verifier).size == second["tree_size"]
    audit.record(action="test.platform")
    call_command("audit_checkpoint")
    assert json.loads(capsys.readouterr().out)["origin"].endswith("/platform")
    with pytest.raises(CommandError, match="unknown_tenant"):
        call_command("audit_checkpoint", tenant="nobody")


def test_verify_passes_when_the_log_only_grew_since_the_checkpoints_held(acme, tmp_path, capsys):
    _events(acme, 3)
    a = _held(tmp_path, acme, "a.json")
    _events(acme, 4)
    b = _held(tmp_path, acme, "b.json")
    _events(acme, 2)
    _verify(acme, a, b)
    call_command("verify_audit_chain")
    assert "audit logs intact" in capsys.readouterr().out


def test_an_edited_event_is_detected(acme, tmp_path):
    events = _events(acme, 3)
    _held(tmp_path, acme)
    _tamper(("UPDATE governance_auditevent SET action = %s WHERE id = %s", ["support.approved", events[1].pk]))
    with pytest.raises(CommandError, match="do not match its checkpoint"):
        _verify(acme)  # even without a held checkpoint: the log's own signed checkpoints tell


def test_tail_truncation_with_the_logs_state_reset_is_detected(acme, tmp_path):
    events = _events(acme, 5)
    held = _held(tmp_path, acme)
    log = audit.log_for(tenant=acme)
    keep = list(AuditLeaf.objects.filter(log=log).order_by("index").values_list("event_id", flat=True))[:-2]
    _tamper(
        ("DELETE FROM governance_auditevent WHERE id IN (%s, %s)", [events[-1].pk, events[-2].pk]),
    )
    _rebuild(log, keep)  # leaves, subtree hashes, edge and checkpoints all recomputed and re-signed
    _verify(acme)  # the forged log is consistent with itself...
    with pytest.raises(CommandError, match="older than one you hold|newest entries were removed"):
        _verify(acme, held)  # ...but not with the checkpoint the tenant kept


def test_a_forged_event_inserted_in_the_middle_with_everything_recomputed_is_detected(acme, tmp_path):
    _events(acme, 4)
    held = _held(tmp_path, acme)
    log = audit.log_for(tenant=acme)
    order = list(AuditLeaf.objects.filter(log=log).order_by("index").values_list("event_id", flat=True))
    forged = audit.record(action="support.approved", tenant=acme, target=("governance.accessrequest", "7"))
    _rebuild(log, order[:2] + [forged.pk] + order[2:])
    _verify(acme)
    with pytest.raises(CommandError, match="do not match its checkpoint"):
        _verify(acme, held)


def test_a_middle_event_deleted_with_everything_recomputed_is_detected(acme, tmp_path):
    _events(acme, 4)
    held = _held(tmp_path, acme)
    log = audit.log_for(tenant=acme)
    order = list(AuditLeaf.objects.filter(log=log).order_by("index").values_list("event_id", flat=True))
    _tamper(("DELETE FROM governance_auditevent WHERE id = %s", [order[2]]))
    _rebuild(log, order[:2] + order[3:])
    with pytest.raises(CommandError, match="do not match its checkpoint|older than one you hold"):
        _verify(acme, held)


def test_an_old_validly_signed_checkpoint_replayed_as_the_newest_is_detected(acme, tmp_path):
    _events(acme, 3)
    old = audit.current_checkpoint(tenant=acme)
    _events(acme, 3)
    held = _held(tmp_path, acme)
    log = audit.log_for(tenant=acme)
    # The forger rolls the log back to the old checkpoint and serves that as the newest.
    dropped = list(AuditLeaf.objects.filter(log=log, index__gte=old.size).values_list("event_id", flat=True))
    _tamper(
        ("DELETE FROM governance_auditcheckpoint WHERE log_id = %s AND id > %s", [log.pk, old.pk]),
        ("DELETE FROM governance_auditleaf WHERE log_id = %s AND \"index\" >= %s", [log.pk, old.size]),
        ("DELETE FROM governance_auditevent WHERE id = ANY(%s)" if connection.vendor == "postgresql"
         else f"DELETE FROM governance_auditevent WHERE id IN ({','.join(map(str, dropped))})",
         [dropped] if connection.vendor == "postgresql" else []),
    )
    edge = tree.CompactRange()
    for h in AuditLeaf.objects.filter(log=log).order_by("index").values_list("hash", flat=True):
        edge.append(bytes(h))
    AuditLog.objects.filter(pk=log.pk).update(size=edge.size, edge=edge.pack(), root_hash=edge.root(), needs_checkpoint=False)
    _verify(acme)  # on its own the rolled-back log looks fine
    with pytest.raises(CommandError, match="older than one you hold"):
        _verify(acme, held)


def test_a_replayed_checkpoint_row_breaks_the_logs_own_checkpoint_sequence(acme):
    _events(acme, 2)
    old = audit.current_checkpoint(tenant=acme)
    _events(acme, 2)
    audit.current_checkpoint(tenant=acme)
    AuditCheckpoint.objects.create(log_id=old.log_id, size=old.size, root_hash=old.root_hash, issued_at=old.issued_at, note=old.note)
    with pytest.raises(CommandError, match="do not follow each other"):
        _verify(acme)


def test_a_whole_log_deleted_is_detected_with_a_held_checkpoint(acme, tmp_path):
    _events(acme, 2)
    held = _held(tmp_path, acme)
    log = audit.log_for(tenant=acme)
    _tamper(
        ("DELETE FROM governance_auditleaf WHERE log_id = %s", [log.pk]),
        ("DELETE FROM governance_auditcheckpoint WHERE log_id = %s", [log.pk]),
        ("DELETE FROM governance_auditlog WHERE id = %s", [log.pk]),
        ("DELETE FROM governance_auditevent WHERE tenant_id = %s", [acme.pk]),
    )
    with pytest.raises(CommandError, match="not there"):
        call_command("verify_audit_chain", checkpoint=[str(held)])


def test_a_checkpoint_signed_by_another_key_is_refused(acme, tmp_path, settings):
    _events(acme, 1)
    held = _held(tmp_path, acme)
    settings.AUDIT_SIGNING_KEY = base64.b64encode(b"\x07" * 32).decode()
    with pytest.raises(CommandError, match="not signed by"):
        _verify(acme, held)


# --- no bypass in the database -----------------------------------------------------------------------


def test_the_orm_refuses_update_and_delete(acme):
    event = _events(acme, 1)[0]
    event.action = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditLeaf.objects.all().delete()


@postgres_only
def test_on_postgresql_a_trigger_refuses_raw_update_and_delete_and_no_setting_opens_it(acme):
    event = _events(acme, 1)[0]
    audit.seal()
    statements = [
        ("UPDATE governance_auditevent SET action = 'x' WHERE id = %s", [event.pk]),
        ("DELETE FROM governance_auditevent WHERE id = %s", [event.pk]),
        ("UPDATE governance_auditleaf SET index = index + 1 WHERE event_id = %s", [event.pk]),
        ("DELETE FROM governance_auditleaf WHERE event_id = %s", [event.pk]),
        ("DELETE FROM governance_auditcheckpoint", []),
    ]
    for sql, params in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL sightguard.audit_prune = 'on'")
            cursor.execute(sql, params)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@postgres_only
def test_an_application_role_with_insert_and_select_only_cannot_rewrite_or_unguard_the_log(acme):
    """The separate-role set-up of the README: migrations run as the owner, the app as this role."""
    event = _events(acme, 1)[0]
    audit.seal()
    with connection.cursor() as cursor:
        cursor.execute("DO $$ BEGIN CREATE ROLE sightguard_app_test NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        cursor.execute(audit.APP_ROLE_GRANTS_SQL.format(role="sightguard_app_test"))
    refused = [
        f"UPDATE governance_auditevent SET action = 'x' WHERE id = {event.pk}",
        f"DELETE FROM governance_auditevent WHERE id = {event.pk}",
        "DELETE FROM governance_auditleaf",
        "TRUNCATE governance_auditevent",
        "ALTER TABLE governance_auditevent DISABLE TRIGGER USER",
    ]
    for sql in refused:
        with pytest.raises(DatabaseError, match="permission denied|must be owner"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL ROLE sightguard_app_test")
                cursor.execute(sql)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE sightguard_app_test")
        audit.record(action="test.as_app_role", tenant=acme)
        audit.seal()
        cursor.execute("RESET ROLE")
    assert audit.verify_chain().ok


@postgres_only
def test_pruning_deletes_only_a_declared_sealed_range(acme):
    events = _events(acme, 6)
    audit.seal()
    log = audit.log_for(tenant=acme)
    with pytest.raises(ValueError, match="covered by a signed checkpoint"):
        audit.prune(log=log, below=log.size + 1, reason="retention")
    first = AuditLeaf.objects.get(event_id=events[0].pk).index
    assert audit.prune(log=log, below=first + 1, reason="retention") == first + 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM governance_auditevent WHERE id = %s", [events[3].pk])  # past the declared range
    assert f"pruned 0 {first + 1} retention" in audit.newest_checkpoint(log=log).note
    assert audit.verify_chain().ok


def test_a_verifier_key_whose_base64_holds_a_plus_parses():
    """The key's base64 may contain "+", the separator of the note verifier key's fields."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from governance import audit_verifier

    while "+" not in (key := audit_verifier.verifier_key("sightguard.example/audit", public := Ed25519PrivateKey.generate().public_key().public_bytes_raw())).split("+", 2)[2]:
        pass
    assert audit_verifier.Verifier.parse(key).public == public
