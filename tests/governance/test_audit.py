import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from governance import audit
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db


def _three_events(acme):
    return [audit.record(action=f"test.{n}", actor="system", tenant=acme, metadata={"n": n}) for n in range(3)]


def _tamper(sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The trigger refuses edits; a DBA with table ownership could disable it. The chain still tells.
            cursor.execute("ALTER TABLE governance_auditevent DISABLE TRIGGER governance_auditevent_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE governance_auditevent ENABLE TRIGGER governance_auditevent_append_only")


def test_it_verifies_an_intact_chain(acme, capsys):
    _three_events(acme)
    call_command("verify_audit_chain")
    assert "audit chain intact" in capsys.readouterr().out


def test_an_edited_row_is_detected_and_named(acme):
    events = _three_events(acme)
    _tamper("UPDATE governance_auditevent SET action = %s WHERE id = %s", ["test.forged", events[1].id])
    with pytest.raises(CommandError, match=f"row {events[1].id}: the row was edited"):
        call_command("verify_audit_chain")


def test_a_deleted_row_is_detected_at_the_row_after_it(acme):
    events = _three_events(acme)
    _tamper("DELETE FROM governance_auditevent WHERE id = %s", [events[1].id])
    with pytest.raises(CommandError, match=f"row {events[2].id}: the row before it was deleted"):
        call_command("verify_audit_chain")


def test_deleting_the_newest_row_is_detected(acme):
    events = _three_events(acme)
    _tamper("DELETE FROM governance_auditevent WHERE id = %s", [events[2].id])
    with pytest.raises(CommandError, match="the newest rows were deleted"):
        call_command("verify_audit_chain")


def test_the_orm_refuses_update_and_delete(acme):
    event = _three_events(acme)[0]
    event.action = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_on_postgresql_a_trigger_refuses_raw_update_and_delete(acme):
    event = _three_events(acme)[0]
    for sql in ("UPDATE governance_auditevent SET action = 'x' WHERE id = %s", "DELETE FROM governance_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.id])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.0"


def test_metadata_refuses_personal_data(acme):
    with pytest.raises(ValueError):
        audit.record(action="test", tenant=acme, metadata={"who": "alice@acme.example"})
    with pytest.raises(ValueError):
        audit.record(action="test", tenant=acme, metadata={"note": "x" * 500})


def test_actors_are_named_without_personal_data(bob):
    event = audit.record(action="test", actor=bob.user, tenant=bob.tenant)
    assert event.actor == f"user:{bob.user.pk}"
