"""The audit log starts its hash chain at a genesis head row, and on PostgreSQL its rows are
append-only: a trigger refuses UPDATE and DELETE of governance_auditevent (SQLite has no such guard).
Retention prunes the oldest rows only inside a transaction that sets sightguard.audit_prune."""

from django.db import migrations

GENESIS_HASH = "0" * 64

# Row-level: TRUNCATE (used by test-database flushes) is not covered; the hash chain still is.
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION governance_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('sightguard.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'governance_auditevent is append-only (% refused)', TG_OP;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_auditevent_append_only
    BEFORE UPDATE OR DELETE ON governance_auditevent
    FOR EACH ROW EXECUTE FUNCTION governance_audit_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS governance_auditevent_append_only ON governance_auditevent;
DROP FUNCTION IF EXISTS governance_audit_append_only();
"""


def create_head(apps, schema_editor):
    apps.get_model("governance", "AuditHead").objects.get_or_create(
        pk=1, defaults={"last_hash": GENESIS_HASH, "anchor_hash": GENESIS_HASH}
    )


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]
    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
