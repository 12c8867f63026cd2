import secrets
import uuid

from django.db import models
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedEmailField, EncryptedTextField

from governance.models import Tenant


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

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["tenant", "status", "due_at"])]

    def __str__(self):
        return self.reference
from .protocols.models import *  # noqa: E402,F401,F403  (issue 8: protocol endpoints)
