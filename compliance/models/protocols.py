"""Protocol endpoints' own rows: DRP agents and their tokens, OpenDSR controllers, the link from a
protocol request to the DataSubjectRequest it filed, status callbacks and seen signed messages.
(A Global Privacy Control signal leaves a compliance.models.SaleOptOut, like any opt-out.)

None of these rows holds personal data: subjects appear only as the request they filed (whose
e-mail is encrypted on DataSubjectRequest) or as a blind index.
"""

import base64
import binascii

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from compliance.models.requests import DataSubjectRequest
from governance.models import Tenant

__all__ = [
    "DrpAgent", "DrpToken", "SeenMessage", "DrpRequest", "OpenDsrController", "OpenDsrRequest",
    "CallbackDelivery",
]


def validate_verify_key(value: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("Not base64.", code="verify_key_not_base64") from None
    if len(raw) != 32:
        raise ValidationError("An Ed25519 verify key is 32 bytes.", code="verify_key_length")


class DrpAgent(models.Model):
    """A Data Rights Protocol authorised agent, registered by the operator for one covered business."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="drp_agents")
    agent_id = models.CharField(max_length=100, help_text="The agent's id in the DRP directory, e.g. CR_AA_DRP_ID_001.")
    business_id = models.CharField(
        max_length=100, help_text="The id this tenant has as a covered business in the DRP directory."
    )
    name = models.CharField(max_length=200, blank=True)
    verify_key = models.CharField(
        max_length=64, validators=[validate_verify_key], help_text="The agent's base64 Ed25519 verify key."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "DRP agent"
        constraints = [models.UniqueConstraint(fields=["agent_id", "business_id"], name="drp_agent_per_business")]

    def __str__(self):
        return f"{self.agent_id} → {self.business_id}"


class DrpToken(models.Model):
    """A pair-wise bearer token; only its SHA-256 is stored. A new pairing revokes the older ones."""

    agent = models.ForeignKey(DrpAgent, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    TENANT_FIELD = "agent__tenant"

    class Meta:
        verbose_name = "DRP bearer token"


class SeenMessage(models.Model):
    """A signed message already accepted, kept until its expires-at: the same bytes twice are a replay."""

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)


class DrpRequest(models.Model):
    request = models.OneToOneField(DataSubjectRequest, on_delete=models.CASCADE, related_name="drp")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(DrpAgent, on_delete=models.PROTECT, related_name="requests")
    exercise = models.CharField(max_length=32)
    agent_request_id = models.CharField(max_length=200, blank=True)
    status_callback = models.URLField(max_length=500, blank=True)
    last_status_sent = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "DRP request"

    def __str__(self):
        return str(self.request_id)


class OpenDsrController(models.Model):
    """An OpenDSR controller allowed to send this tenant's requests; authenticated by a bearer token."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="opendsr_controllers")
    controller_id = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "OpenDSR controller"

    def __str__(self):
        return self.controller_id


class OpenDsrRequest(models.Model):
    request = models.OneToOneField(DataSubjectRequest, on_delete=models.CASCADE, related_name="opendsr")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    controller = models.ForeignKey(OpenDsrController, on_delete=models.PROTECT, related_name="requests")
    subject_request_id = models.UUIDField()
    regulation = models.CharField(max_length=8)
    request_type = models.CharField(max_length=16)
    submitted_time = models.DateTimeField()
    status_callback_urls = models.JSONField(default=list, blank=True)
    last_status_sent = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = "OpenDSR request"
        constraints = [
            models.UniqueConstraint(fields=["controller", "subject_request_id"], name="opendsr_request_once")
        ]

    def __str__(self):
        return str(self.subject_request_id)


class CallbackDelivery(models.Model):
    """One status callback to send (DRP or OpenDSR); the payload is the protocol's status object."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(DataSubjectRequest, on_delete=models.CASCADE, related_name="callbacks")
    protocol = models.CharField(max_length=8)
    url = models.URLField(max_length=500)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the next attempt is due; a pending delivery well past it was lost (worker died, broker
    # flushed) and the beat task resend_lost_callbacks queues it again.
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "protocol status callback"
        verbose_name_plural = "protocol status callbacks"
        ordering = ["-created_at"]

