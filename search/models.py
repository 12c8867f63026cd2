import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    # Only when the tenant opted in to keeping cleaned images (Tenant.retain_cleaned_images_days).
    retained_image = models.ForeignKey(
        StoredObject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # The claim (search.pipeline): the Celery task id of the delivery that holds the job or may take
    # it, and until when; after that the reconciler requeues it as a new delivery, counted here.
    claim_token = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    recoveries = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "created_by", "created_at"]),
            # The reconciler's look-up: unfinished jobs only.
            models.Index(
                fields=["lease_until"], name="search_job_unfinished_lease", condition=Q(status__in=["queued", "running"])
            ),
        ]

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


class Document(models.Model):
    """One document of a tenant's collection: what image searches are matched against.

    Tenant content, not a data subject's: it names no person by design of the product.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    text = models.TextField()
    external_id = models.CharField(max_length=200, blank=True, help_text="The tenant's own id for it, if any.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~models.Q(external_id=""),
                name="search_document_unique_external_id_per_tenant",
            )
        ]

    def __str__(self):
        return self.title


class SearchResult(models.Model):
    """One of a job's top documents, with its own retention rules (category search_results)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(SearchJob, on_delete=models.CASCADE, related_name="results")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["job", "rank"]
        constraints = [models.UniqueConstraint(fields=["job", "rank"], name="search_result_unique_rank")]

    def __str__(self):
        return f"result {self.rank} of job {self.job_id}"
