"""On PostgreSQL, consent evidence cannot be edited behind the ORM's back either: the one UPDATE a
trigger lets through is erasing who acted (the person column set to NULL, nothing else changed).
Deletes are left to the ORM guard, since a tenant's own deletion cascades to its evidence."""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION governance_consent_record_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.accepted_by_id IS NULL
       AND NEW.id = OLD.id AND NEW.tenant_id = OLD.tenant_id AND NEW.terms_id = OLD.terms_id
       AND NEW.accepted_at = OLD.accepted_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent evidence is immutable (governance_consentrecord)';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_consentrecord_immutable
    BEFORE UPDATE ON governance_consentrecord
    FOR EACH ROW EXECUTE FUNCTION governance_consent_record_guard();

CREATE OR REPLACE FUNCTION governance_consent_revocation_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.revoked_by_id IS NULL
       AND NEW.id = OLD.id AND NEW.tenant_id = OLD.tenant_id AND NEW.record_id = OLD.record_id
       AND NEW.revoked_at = OLD.revoked_at THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent evidence is immutable (governance_consentrevocation)';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER governance_consentrevocation_immutable
    BEFORE UPDATE ON governance_consentrevocation
    FOR EACH ROW EXECUTE FUNCTION governance_consent_revocation_guard();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS governance_consentrecord_immutable ON governance_consentrecord;
DROP FUNCTION IF EXISTS governance_consent_record_guard();
DROP TRIGGER IF EXISTS governance_consentrevocation_immutable ON governance_consentrevocation;
DROP FUNCTION IF EXISTS governance_consent_revocation_guard();
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_audit_append_only")]

    operations = [migrations.RunPython(add_triggers, drop_triggers)]
