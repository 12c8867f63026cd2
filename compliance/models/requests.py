"""Data-subject requests, their review, and CCPA/GPC opt-outs."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedEmailField, EncryptedTextField

from governance.models import StoredObject, Tenant


def new_reference() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "DSR-" + "".join(secrets.choice(alphabet) for _ in range(10))


class DataSubjectRequest(models.Model):
    """A GDPR/CCPA request from a data subject, however it arrived (form, API, protocol, GPC)."""

    class Kind(models.TextChoices):
        ERASURE = "erasure", "Erasure"
        ACCESS = "access", "Access / export"
        PORTABILITY = "portability", "Portability"
        OPT_OUT = "opt_out", "Opt-out of sale/sharing"
        OPT_IN = "opt_in", "Opt back in to sale/sharing"

    class Regime(models.TextChoices):
        GDPR = "gdpr", "GDPR"
        CCPA = "ccpa", "CCPA"

    class Source(models.TextChoices):
        FORM = "form", "Public form"
        API = "api", "Public API"
        DRP = "drp", "Data Rights Protocol agent"
        OPENDSR = "opendsr", "OpenDSR controller"
        GPC = "gpc", "Global Privacy Control signal"

    class Status(models.TextChoices):
        PENDING_VERIFICATION = "pending_verification", "Waiting for e-mail verification"
        OPEN = "open", "Verified, waiting for review"
        IN_PROGRESS = "in_progress", "Being processed"
        FULFILLED = "fulfilled", "Fulfilled"
        DENIED = "denied", "Denied"
        CANCELLED = "cancelled", "Cancelled by the requester"
        EXPIRED = "expired", "Expired unverified"

    CLOSED = (Status.FULFILLED, Status.DENIED, Status.CANCELLED, Status.EXPIRED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True, default=new_reference, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="privacy_requests")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    regime = models.CharField(max_length=4, choices=Regime.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    email = EncryptedEmailField()
    subject_index = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=24, choices=Status.choices, db_index=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    denial_reason = models.CharField(max_length=32, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # Verification: only a hash of the single-use token's nonce is stored.
    verify_nonce_hash = models.CharField(max_length=64, blank=True, editable=False)
    verify_expires_at = models.DateTimeField(null=True, blank=True)
    # Deadlines (compliance.deadlines): CCPA receipt confirmation; one extension with its reason.
    ack_due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = EncryptedTextField(blank=True)
    # Review (compliance.review).
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    denial_text = EncryptedTextField(blank=True)
    # Work (compliance.export / compliance.erasure): a lease, the steps done, the outcome.
    lease_until = models.DateTimeField(null=True, blank=True)
    work_state = models.JSONField(default=dict, blank=True, editable=False)
    proof = models.JSONField(default=dict, blank=True, editable=False, help_text="Proof of erasure: no personal data.")
    archive = models.ForeignKey(StoredObject, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error_code = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["tenant", "status", "due_at"])]

    def __str__(self):
        return self.reference

    @property
    def is_overdue(self) -> bool:
        return self.status not in self.CLOSED and self.due_at < timezone.now()


class DenialReason(models.TextChoices):
    """Why a request was denied (the fixed list of review; DRP's reasons plus GDPR's)."""

    INSUF_VERIFICATION = "insuf_verification", "Identity could not be verified"
    NO_MATCH = "no_match", "We hold no data about this person"
    SUSPECTED_FRAUD = "suspected_fraud", "Suspected fraud"
    CLAIM_NOT_COVERED = "claim_not_covered", "The right claimed does not apply"
    OUTSIDE_JURISDICTION = "outside_jurisdiction", "Outside the regime's jurisdiction"
    TOO_MANY_REQUESTS = "too_many_requests", "Manifestly unfounded or excessive (repeated requests)"
    LEGAL_OBLIGATION = "legal_obligation", "A legal obligation requires us to keep the data"
    OTHER = "other", "Other"


class ErasureSuppression(models.Model):
    """Keeps an erased subject erased (CCPA 7022): only the blind index stays; a return is flagged."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subject_index = models.CharField(max_length=64, db_index=True)
    request = models.ForeignKey(DataSubjectRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    returned_at = models.DateTimeField(null=True, blank=True, help_text="When the identity came back (import, sign-up).")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "subject_index"], name="one_suppression_per_subject")]

    def __str__(self):
        return f"suppression #{self.pk}"


class SaleOptOut(models.Model):
    """A subject opted out of sale/sharing (CCPA 7026): in force at once, no verification needed."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subject_index = models.CharField(max_length=64, db_index=True)
    source = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "subject_index"], name="one_opt_out_per_subject")]

