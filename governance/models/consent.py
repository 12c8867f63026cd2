"""AI terms versions, their subprocessors, and tenants' consent records."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from .tenancy import Tenant, User


class ProviderKey(models.TextChoices):
    """Vision providers a terms version can name as a subprocessor (search.providers keys)."""

    GEMINI = "gemini", "Gemini"
    OPENAI = "openai", "OpenAI"
    ANTHROPIC = "anthropic", "Anthropic"

class TermsVersion(models.Model):
    """A version of the generative-AI terms, written and published by the operator.

    A draft (no published_at) may be edited; once published, text and subprocessors are fixed.
    """

    version = models.CharField(
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[0-9A-Za-z][0-9A-Za-z._-]*$", "Letters, digits, dots, dashes only.")],
    )
    text = models.TextField(help_text="The full terms, as tenant admins read them before accepting.")
    requires_reacceptance = models.BooleanField(
        default=True, help_text="Consent to earlier versions stops covering searches until this one is accepted."
    )
    published_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-published_at", "-id"]

    def save(self, *args, **kwargs):
        if self.pk and TermsVersion.objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise PermissionError("a published terms version cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.published_at:
            raise PermissionError("a published terms version cannot be deleted")
        return super().delete(*args, **kwargs)

    def __str__(self):
        return f"terms {self.version}"

class Subprocessor(models.Model):
    """A company a terms version names, tied to the vision provider that sends data to it."""

    terms = models.ForeignKey(TermsVersion, on_delete=models.CASCADE, related_name="subprocessors")
    provider_key = models.CharField(max_length=20, choices=ProviderKey.choices)
    company = models.CharField(max_length=100)
    service = models.CharField(max_length=100)
    purpose = models.CharField(max_length=300, blank=True)
    trust_url = models.URLField(blank=True)
    retention = models.CharField(
        max_length=300, blank=True,
        help_text="What the company keeps of what it receives, and for how long, as this version states it.",
    )

    class Meta:
        ordering = ["provider_key"]
        constraints = [
            models.UniqueConstraint(fields=["terms", "provider_key"], name="one_subprocessor_per_provider")
        ]

    def save(self, *args, **kwargs):
        if TermsVersion.objects.filter(pk=self.terms_id, published_at__isnull=False).exists():
            raise PermissionError("the subprocessors of a published terms version cannot be changed")
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.company} ({self.service})"

class ConsentQuerySet(models.QuerySet):
    """Consent evidence is immutable; the one change allowed is erasing who acted (anonymisation)."""

    ANONYMISABLE: frozenset[str] = frozenset()

    def update(self, **kwargs):
        if kwargs and set(kwargs) <= self.ANONYMISABLE and all(v is None for v in kwargs.values()):
            return super().update(**kwargs)
        raise PermissionError("consent evidence is immutable")

    def delete(self):
        raise PermissionError("consent evidence is immutable")

class ImmutableRow(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("consent evidence is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("consent evidence is immutable")

class ConsentRecordQuerySet(ConsentQuerySet):
    ANONYMISABLE = frozenset({"accepted_by", "accepted_by_id"})

class ConsentRecord(ImmutableRow):
    """A tenant admin accepted a terms version (written by governance.consent.accept only)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="consents")
    terms = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="consents")
    accepted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField()

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-accepted_at", "-id"]
        indexes = [models.Index(fields=["tenant", "accepted_at"])]

    def __str__(self):
        return f"consent #{self.pk} to {self.terms.version}"

class ConsentRevocationQuerySet(ConsentQuerySet):
    ANONYMISABLE = frozenset({"revoked_by", "revoked_by_id"})

class ConsentRevocation(ImmutableRow):
    """A tenant admin withdrew a consent (written by governance.consent.revoke only)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    record = models.OneToOneField(ConsentRecord, on_delete=models.CASCADE, related_name="revocation")
    revoked_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField()

    objects = ConsentRevocationQuerySet.as_manager()

    def __str__(self):
        return f"revocation of consent #{self.record_id}"

class ConsentOverview(ConsentRecord):
    """The admin page where tenant admins read the current terms and accept or revoke them."""

    class Meta:
        proxy = True
        verbose_name = "AI terms and consent"
        verbose_name_plural = "AI terms and consent"


class Transfer(models.Model):
    """One call to a sub-processor: which tenant sent how many bytes to whom, where and when, under
    which terms version; for which job and whose search (a blind index, blanked by erasure). Never
    the image, the context or the answer."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subprocessor = models.CharField(max_length=20, choices=ProviderKey.choices)
    terms = models.ForeignKey(TermsVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    job_id = models.UUIDField(null=True, blank=True)
    subject_index = models.CharField(max_length=64, blank=True, db_index=True)
    bytes_sent = models.PositiveBigIntegerField()
    endpoint = models.CharField(max_length=200, help_text="Host (and region, where the endpoint names one) called.")

    class Meta:
        indexes = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self):
        return f"transfer #{self.pk}"


class TransferStatistics(Transfer):
    """The admin page of transfers per sub-processor per day (governance.transfers.per_day)."""

    class Meta:
        proxy = True
        verbose_name = "transfers to sub-processors"
        verbose_name_plural = "transfers to sub-processors"
