import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedTextField

from governance.models import StoredObject, Tenant


class SearchJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="search_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="search_jobs"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    context = EncryptedTextField(blank=True)
    has_context = models.BooleanField(default=False)
    description = EncryptedTextField(blank=True)
    provider = models.CharField(max_length=20)
    error_code = models.CharField(max_length=40, blank=True)
    image = models.ForeignKey(StoredObject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "created_by", "created_at"])]

    def __str__(self):
        return f"job {self.pk}"


class UsageEvent(models.Model):
    """That a search happened — never what was searched (no image, context or description)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    provider = models.CharField(max_length=20)
    used_context = models.BooleanField()
    latency_ms = models.PositiveIntegerField(null=True)
    outcome = models.CharField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["tenant", "created_at"])]


class UsageStatistics(UsageEvent):
    """The admin page of usage figures (search.usage): per day, context share, latency, failures."""

    class Meta:
        proxy = True
        verbose_name = "usage statistics"
        verbose_name_plural = "usage statistics"
