"""Retention rules (platform defaults and tenant overrides), runs and legal holds."""

from django.db import models
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedTextField

from governance.datamap.categories import retention_choices

from .tenancy import Tenant, User


class RetentionAction(models.TextChoices):
    DELETE = "delete", "Delete"
    ANONYMISE = "anonymise", "Anonymise (blank the personal fields, keep the row)"

class LegalHold(models.Model):
    """Stops retention and erasure: for a whole tenant, one data subject (blind index) or one object."""

    class Scope(models.TextChoices):
        TENANT = "tenant", "Whole tenant"
        SUBJECT = "subject", "One data subject"
        OBJECT = "object", "One object"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="legal_holds")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    subject_index = models.CharField(max_length=64, blank=True, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, help_text="app_label.model, e.g. search.searchjob")
    object_id = models.CharField(max_length=64, blank=True)
    reason = EncryptedTextField()
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self):
        return f"hold #{self.pk} ({self.scope})"

class RetentionPolicy(models.Model):
    """The platform default for one retention category, with the bounds tenant overrides must keep."""

    category = models.CharField(max_length=32, choices=retention_choices, unique=True)
    max_age = models.DurationField(help_text="How long an item may live (e.g. '1:00:00' = one hour, '30 00:00:00' = 30 days).")
    action = models.CharField(max_length=10, choices=RetentionAction.choices, default=RetentionAction.DELETE)
    enabled = models.BooleanField(default=True, help_text="Disabled: retention keeps these items for ever.")
    min_age = models.DurationField(help_text="Tenant overrides may not keep items for less than this.")
    max_age_bound = models.DurationField(
        null=True, blank=True, help_text="Tenant overrides may not keep items for longer than this (empty = no upper bound)."
    )
    tenant_may_override = models.BooleanField(default=True)
    description = models.TextField(help_text="What this category holds and why the default is what it is.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category"]
        verbose_name_plural = "retention policies (platform defaults)"

    def __str__(self):
        return self.get_category_display()

class TenantRetentionRule(models.Model):
    """A tenant's override of a platform default, within the default's bounds."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="retention_rules")
    category = models.CharField(max_length=32, choices=retention_choices)
    max_age = models.DurationField(help_text="How long an item may live, within the platform bounds.")
    action = models.CharField(max_length=10, choices=RetentionAction.choices, default=RetentionAction.DELETE)
    enabled = models.BooleanField(
        default=True, help_text="Disabling is allowed only where the platform default has no upper bound."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tenant_id", "category"]
        constraints = [models.UniqueConstraint(fields=["tenant", "category"], name="one_retention_rule_per_category")]

    def __str__(self):
        return f"{self.tenant} {self.category}"

class RetentionRun(models.Model):
    """One enforcement pass: what it deleted per category and tenant, how long it took, what failed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Done with errors"
        ABANDONED = "abandoned", "Interrupted, superseded by another run"

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    dry_run = models.BooleanField(default=False)
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    category = models.CharField(max_length=32, blank=True)
    actor = models.CharField(max_length=64)
    lease_until = models.DateTimeField(null=True, blank=True)
    resumed = models.PositiveIntegerField(default=0)
    duration_seconds = models.FloatField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="{category: {tenant id: {action: n}}}")
    errors = models.JSONField(default=list, blank=True)
    live = models.BooleanField(default=True, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # At most one unfinished enforcing run at a time (dry runs change nothing and may overlap).
            models.UniqueConstraint(
                fields=["live"], condition=models.Q(finished_at__isnull=True, dry_run=False), name="one_live_retention_run"
            )
        ]

    def __str__(self):
        return f"retention run #{self.pk}"

class RetentionProgress(models.Model):
    """Where a run stands on one target in one tenant: its keyset cursor and how much it did."""

    run = models.ForeignKey(RetentionRun, on_delete=models.CASCADE, related_name="progress")
    target = models.CharField(max_length=100)
    category = models.CharField(max_length=32)
    tenant = models.ForeignKey(Tenant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, blank=True)
    cursor = models.CharField(max_length=64, blank=True)
    processed = models.BigIntegerField(default=0)
    done = models.BooleanField(default=False)
    note = models.CharField(max_length=64, blank=True)
    sample = models.JSONField(default=list, blank=True, help_text="Dry run: the first ids that would go.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "target", "tenant"], name="one_progress_per_target_tenant")]
