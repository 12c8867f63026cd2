"""Objects in the bucket, the links issued to them, and the sweeper's runs."""

import uuid

from django.db import models
from django.utils import timezone

from .tenancy import Tenant


class StoredObject(models.Model):
    """Every object the object store writes, with its purpose, tenant and deadline."""

    class Purpose(models.TextChoices):
        TRANSIENT_IMAGE = "transient_image", "Transient image"
        RETAINED_IMAGE = "retained_image", "Retained cleaned image"
        EXPORT_ARCHIVE = "export_archive", "Export archive"
        SUPPORT_VIEW = "support_view", "Support view"
        AUDIT_CHECKPOINT = "audit_checkpoint", "Audit checkpoint"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    key = models.CharField(max_length=255, unique=True)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField(default=0)
    subject_index = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_reason = models.CharField(max_length=32, blank=True)

    def __str__(self):
        return self.key

class IssuedLink(models.Model):
    """A temporary link handed out for a stored object: who, what, until when."""

    TENANT_FIELD = "object__tenant"

    object = models.ForeignKey(StoredObject, on_delete=models.CASCADE, related_name="links")
    actor = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

class SweepRun(models.Model):
    """One pass of the transient-object sweeper (governance.storage.sweeper): what it had to clean up.

    Every count should be zero: jobs delete their images when they end. A non-zero count means
    something outlived its deadline or bucket and database disagreed; it is logged as a warning.
    """

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expired_deleted = models.PositiveIntegerField("past deadline, deleted", default=0)
    held_skipped = models.PositiveIntegerField("past deadline, kept by a legal hold", default=0)
    orphans_deleted = models.PositiveIntegerField("in the bucket with no record, deleted", default=0)
    missing_closed = models.PositiveIntegerField("recorded but gone from the bucket, closed", default=0)
    noncurrent_deleted = models.PositiveIntegerField("noncurrent versions of live objects, deleted", default=0)
    needed_work = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"sweep at {self.started_at:%Y-%m-%d %H:%M:%S}"
