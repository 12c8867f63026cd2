"""Per-tenant Merkle-tree audit logs replace the one hash chain.

The existing events become the first leaves of their logs, in id order (the first pass of the
sealer signs their checkpoints). On PostgreSQL one trigger function guards the append-only tables:
UPDATE is always refused; DELETE too, except of an event whose leaf lies in a range an AuditPrune
row declares (that row is itself append-only and announced in the next signed checkpoint). There
is no session setting that opens it. A trigger does not stop the tables' owner (who can disable
it): the application should run as a role holding only INSERT and SELECT on these tables (README).
"""

import django.db.models.deletion
import governance.models.audit
from django.db import migrations, models


APPEND_ONLY = ("auditevent", "auditleaf", "auditnode", "auditcheckpoint", "auditprune")

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION governance_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'governance_auditevent' AND EXISTS (
        SELECT 1 FROM governance_auditleaf l JOIN governance_auditprune p
          ON p.log_id = l.log_id AND l.index >= p.start AND l.index < p."end"
         WHERE l.event_id = OLD.id
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END
$$ LANGUAGE plpgsql;
"""
OLD_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION governance_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('sightguard.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'governance_auditevent is append-only (% refused)', TG_OP;
END
$$ LANGUAGE plpgsql;
"""


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TRIGGER_SQL, params=None)
    for table in APPEND_ONLY[1:]:  # the events' trigger exists since 0002
        schema_editor.execute(
            f"CREATE TRIGGER governance_{table}_append_only BEFORE UPDATE OR DELETE ON governance_{table} "
            "FOR EACH ROW EXECUTE FUNCTION governance_audit_append_only()",
            params=None,
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY[1:]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS governance_{table}_append_only ON governance_{table}", params=None)
    schema_editor.execute(OLD_FUNCTION_SQL, params=None)


def events_become_leaves(apps, schema_editor):
    from governance import audit_verifier as tree
    from governance.audit import ENTRY_FIELDS, NODE_LEVEL, entry_bytes

    from django.conf import settings

    Event = apps.get_model("governance", "AuditEvent")
    Log = apps.get_model("governance", "AuditLog")
    Leaf = apps.get_model("governance", "AuditLeaf")
    Node = apps.get_model("governance", "AuditNode")
    logs: dict = {}
    leaves, nodes, last_id = [], [], 0

    def flush():
        Leaf.objects.bulk_create(leaves, batch_size=5000)
        Node.objects.bulk_create(nodes, batch_size=5000)
        leaves.clear()
        nodes.clear()

    for row in Event.objects.order_by("id").values(*ENTRY_FIELDS).iterator(chunk_size=5000):
        tenant_id = row["tenant_id"]
        if tenant_id not in logs:
            origin = f"{settings.AUDIT_ORIGIN}/{tenant_id if tenant_id is not None else 'platform'}"
            logs[tenant_id] = (Log.objects.create(tenant_id=tenant_id, origin=origin), tree.CompactRange())
        log, edge = logs[tenant_id]
        leaf = tree.leaf_hash(entry_bytes(row))
        leaves.append(Leaf(log_id=log.pk, index=edge.size, event_id=row["id"], hash=leaf))
        for level, index, node in edge.append(leaf):
            if level >= NODE_LEVEL:
                nodes.append(Node(log_id=log.pk, level=level, index=index, hash=node))
        last_id = row["id"]
        if len(leaves) >= 5000:
            flush()
    flush()
    for log, edge in logs.values():
        Log.objects.filter(pk=log.pk).update(size=edge.size, edge=edge.pack(), root_hash=edge.root(), needs_checkpoint=True)
    floor = 0 if schema_editor.connection.vendor == "postgresql" else last_id
    apps.get_model("governance", "AuditSealState").objects.create(pk=1, floor=floor)


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0004_first_terms_version'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditCheckpoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('size', models.BigIntegerField()),
                ('root_hash', models.BinaryField(max_length=32)),
                ('issued_at', models.DateTimeField()),
                ('note', models.TextField()),
            ],
            options={
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='AuditLeaf',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('index', models.BigIntegerField()),
                ('event_id', models.BigIntegerField(unique=True)),
                ('hash', models.BinaryField(max_length=32)),
            ],
        ),
        migrations.CreateModel(
            name='AuditLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('origin', models.CharField(max_length=200, unique=True)),
                ('size', models.BigIntegerField(default=0)),
                ('root_hash', models.BinaryField(default=b'', max_length=32)),
                ('edge', models.BinaryField(default=b'')),
                ('pruned_below', models.BigIntegerField(default=0)),
                ('prune_reason', models.CharField(blank=True, max_length=64)),
                ('needs_checkpoint', models.BooleanField(default=False)),
                ('tenant', models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='governance.tenant')),
            ],
        ),
        migrations.CreateModel(
            name='AuditNode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.SmallIntegerField()),
                ('index', models.BigIntegerField()),
                ('hash', models.BinaryField(max_length=32)),
                ('log', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='governance.auditlog')),
            ],
        ),
        migrations.CreateModel(
            name='AuditPrune',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start', models.BigIntegerField()),
                ('end', models.BigIntegerField()),
                ('reason', models.CharField(max_length=64)),
                ('at', models.DateTimeField()),
                ('log', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='governance.auditlog')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='AuditSealState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('floor', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.DeleteModel(
            name='AuditHead',
        ),
        migrations.RemoveField(
            model_name='auditevent',
            name='hash',
        ),
        migrations.RemoveField(
            model_name='auditevent',
            name='prev_hash',
        ),
        migrations.AddField(
            model_name='auditevent',
            name='txid',
            field=models.BigIntegerField(db_default=governance.models.audit.CurrentTransactionId(), db_index=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='storedobject',
            name='purpose',
            field=models.CharField(choices=[('transient_image', 'Transient image'), ('retained_image', 'Retained cleaned image'), ('export_archive', 'Export archive'), ('support_view', 'Support view'), ('audit_checkpoint', 'Audit checkpoint')], max_length=32),
        ),
        migrations.AddField(
            model_name='auditleaf',
            name='log',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='governance.auditlog'),
        ),
        migrations.AddField(
            model_name='auditcheckpoint',
            name='log',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='governance.auditlog'),
        ),
        migrations.AddConstraint(
            model_name='auditleaf',
            constraint=models.UniqueConstraint(fields=('log', 'index'), name='audit_leaf_log_index'),
        ),
        migrations.AddIndex(
            model_name='auditcheckpoint',
            index=models.Index(fields=['log', '-id'], name='governance__log_id_88a064_idx'),
        ),
        migrations.AddConstraint(
            model_name='auditnode',
            constraint=models.UniqueConstraint(fields=('log', 'level', 'index'), name='audit_node_position'),
        ),
        migrations.RunPython(events_become_leaves, migrations.RunPython.noop),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
