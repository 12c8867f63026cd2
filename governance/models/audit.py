"""The audit log's rows."""

from django.db import models

from .tenancy import Tenant


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")

class AuditEvent(models.Model):
    """One row of the append-only, hash-chained audit log. Written only by governance.audit.record."""

    tenant = models.ForeignKey(
        Tenant, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    actor = models.CharField(max_length=64)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")

    def __str__(self):
        return f"#{self.pk} {self.action}"

class AuditHead(models.Model):
    """The chain's end (detects a deleted last row) and its start (after retention pruned the oldest)."""

    last_hash = models.CharField(max_length=64)
    anchor_hash = models.CharField(max_length=64)
