"""The audit logs' rows: events (inserted freely), and what the sealer builds from them: leaves in
order, stored subtree hashes, each log's edge, signed checkpoints and prune statements.

Events, leaves, nodes, checkpoints and prunes are append-only (the ORM refuses, and on PostgreSQL
a trigger refuses UPDATE and DELETE, see migration 0005; the app's role should hold only INSERT
and SELECT on them, README "Audit logs"). AuditLog and AuditSealState are the sealer's working
state: forging them changes nothing a verifier trusts.
"""

from django.db import models

from .tenancy import Tenant


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")


class AppendOnly(models.Model):
    objects = AuditQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")


class CurrentTransactionId(models.Func):
    """The inserting transaction's id on PostgreSQL (the sealer's low-water mark needs it); NULL elsewhere."""

    template = "(pg_current_xact_id()::text::bigint)"
    output_field = models.BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return "NULL", []


class AuditEvent(AppendOnly):
    """One event, as appended by governance.audit.record; the sealer gives it its place in its log."""

    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor = models.CharField(max_length=64)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    txid = models.BigIntegerField(null=True, editable=False, db_default=CurrentTransactionId(), db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self):
        return f"#{self.pk} {self.action}"


class AuditLog(models.Model):
    """One Merkle tree: a tenant's (tenant set) or the platform's. Its edge lets the sealer append."""

    tenant = models.OneToOneField(
        Tenant, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    origin = models.CharField(max_length=200, unique=True)
    size = models.BigIntegerField(default=0)
    root_hash = models.BinaryField(max_length=32, default=b"")
    edge = models.BinaryField(default=b"")  # the compact range: one hash per set bit of size
    pruned_below = models.BigIntegerField(default=0)
    prune_reason = models.CharField(max_length=64, blank=True)
    needs_checkpoint = models.BooleanField(default=False)  # grew or was pruned since its last checkpoint

    def __str__(self):
        return self.origin


class AuditLeaf(AppendOnly):
    """Event `event_id` is leaf `index` of `log`; the leaf hash stays when pruning removes the event."""

    log = models.ForeignKey(AuditLog, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    index = models.BigIntegerField()
    event_id = models.BigIntegerField(unique=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["log", "index"], name="audit_leaf_log_index")]


class AuditNode(AppendOnly):
    """A perfect subtree of 2**level leaves starting at leaf index * 2**level, stored for levels ≥ 8
    (every 256 leaves) so proofs read a few rows instead of the whole log."""

    log = models.ForeignKey(AuditLog, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    level = models.SmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["log", "level", "index"], name="audit_node_position")]


class AuditCheckpoint(AppendOnly):
    """A signed checkpoint (C2SP tlog-checkpoint note) as issued; `note` is the signed text."""

    log = models.ForeignKey(AuditLog, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    size = models.BigIntegerField()
    root_hash = models.BinaryField(max_length=32)
    issued_at = models.DateTimeField()
    note = models.TextField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["log", "-id"])]

    def __str__(self):
        return f"{self.size} @ {self.issued_at:%Y-%m-%d %H:%M:%S}"


class AuditPrune(AppendOnly):
    """Leaves [start, end) of `log` lost their events to retention; the next checkpoint says so."""

    log = models.ForeignKey(AuditLog, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    start = models.BigIntegerField()
    end = models.BigIntegerField()
    reason = models.CharField(max_length=64)
    at = models.DateTimeField()


class AuditSealState(models.Model):
    """The sealer's one row: its lock, and how far back it must look for events not yet sealed
    (the oldest transaction id that was still running at its last pass; event id on SQLite)."""

    floor = models.BigIntegerField(default=0)
