"""Support staff and their access requests."""

from django.db import models
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedTextField

from .tenancy import Tenant, User


class SupportStaff(models.Model):
    """Marks an account as Sightguard support staff: a role, not a superuser and no tenant member.

    Support staff log into the admin (User.is_staff) but see a tenant's content only through an
    AccessRequest that tenant's admin approved (governance.support).
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="support_profile")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "support staff"

    def __str__(self):
        return f"support {self.user}"

class AccessRequest(models.Model):
    """A support engineer's request to see a tenant's content, tied to a ticket (Customer Lockbox style)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending the tenant's decision"
        APPROVED = "approved", "Approved"
        DENIED = "denied", "Denied"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    class Reason(models.TextChoices):
        CUSTOMER_INITIATED_SUPPORT = "customer_initiated_support", "Customer-initiated support case"
        CUSTOMER_REPORTED_BUG = "customer_reported_bug", "Reproducing a bug the customer reported"
        SECURITY_INCIDENT = "security_incident", "Investigating a security incident"
        DATA_SUBJECT_REQUEST = "data_subject_request", "Helping with a data-subject request"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="access_requests")
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="access_requests")
    ticket = models.CharField("ticket reference", max_length=64)
    reason_code = models.CharField(max_length=40, choices=Reason.choices)
    reason_text = EncryptedTextField("justification")
    # Scope: whole content categories (governance.datamap.Category, those holding content) and/or named objects
    # [{"type": "search.searchjob", "id": "<pk>"}, ...].
    scope_categories = models.JSONField(default=list, blank=True)
    scope_objects = models.JSONField(default=list, blank=True)
    hours_requested = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    answer_by = models.DateTimeField(help_text="An unanswered request expires at this time.")
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = EncryptedTextField(blank=True)
    hours_granted = models.PositiveSmallIntegerField(null=True, blank=True)
    approved_until = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the request's life ended: denied, revoked or expired (unanswered, or the grant's time up).
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requester", "status", "approved_until"])]

    def __str__(self):
        return f"access request #{self.pk} ({self.ticket})"
