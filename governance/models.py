import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedEmailField, EncryptedTextField

from .crypto import blind_index


class RetentionCategory(models.TextChoices):
    """Every stored thing belongs to exactly one of these (DESIGN.md, retention categories)."""

    TRANSIENT_IMAGE = "transient_image", "Transient image"
    RETAINED_IMAGE = "retained_image", "Retained cleaned image (tenant opt-in)"
    SEARCH_DESCRIPTION = "search_description", "Search description"
    SEARCH_RESULT = "search_result", "Search result"
    USAGE_EVENT = "usage_event", "Usage event"
    EXPORT_ARCHIVE = "export_archive", "Export archive"
    REQUEST_RECORD = "request_record", "Data-subject request record"
    AUDIT_EVENT = "audit_event", "Audit event"
    SUPPORT_SESSION = "support_session", "Support session"


class Tenant(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    face_blur = models.BooleanField(default=True, help_text="Blur faces before an image is described.")
    retain_cleaned_images_days = models.PositiveIntegerField(
        default=0, help_text="0 = cleaned images are never kept (the default)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.slug


class UserManager(BaseUserManager):
    def get_by_natural_key(self, email):
        return self.get(email_index=blind_index(email))

    def create_user(self, email=None, password=None, *, email_index=None, **extra):
        # createsuperuser passes the typed e-mail as USERNAME_FIELD (email_index).
        user = self.model(email=self.normalize_email(email or email_index), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email=None, password=None, *, email_index=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, email_index=email_index, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. The e-mail is encrypted at rest; it is found and kept unique by its blind index."""

    email = EncryptedEmailField()
    email_index = models.CharField("e-mail", max_length=64, unique=True, editable=False)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    USERNAME_FIELD = "email_index"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def save(self, *args, **kwargs):
        # Keep the lookup column in step with the value it indexes.
        self.email_index = blind_index(self.email)
        super().save(*args, **kwargs)

    def get_short_name(self):
        # The admin greets with this; without it Django would show the blind index.
        return self.email

    def __str__(self):
        return f"user #{self.pk}"


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="one_membership_per_tenant")]

    def __str__(self):
        return f"{self.user} in {self.tenant} ({self.role})"


class ApiKey(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"key {self.prefix}…"


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


class StoredObject(models.Model):
    """Every object the object store writes, with its purpose, tenant and deadline."""

    class Purpose(models.TextChoices):
        TRANSIENT_IMAGE = "transient_image", "Transient image"
        RETAINED_IMAGE = "retained_image", "Retained cleaned image"
        EXPORT_ARCHIVE = "export_archive", "Export archive"
        SUPPORT_VIEW = "support_view", "Support view"

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


class KeyCanary(models.Model):
    """A known value encrypted with FIELD_ENCRYPTION_KEY: start-up refuses a key that can't read it."""

    value = EncryptedTextField()


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


class RetentionAction(models.TextChoices):
    DELETE = "delete", "Delete"
    ANONYMISE = "anonymise", "Anonymise (blank the personal fields, keep the row)"


class RetentionPolicy(models.Model):
    """The platform default for one retention category, with the bounds tenant overrides must keep."""

    category = models.CharField(max_length=32, choices=RetentionCategory.choices, unique=True)
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
    category = models.CharField(max_length=32, choices=RetentionCategory.choices)
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
    # Scope: whole content categories (governance.support.CATEGORIES) and/or named objects
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
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requester", "status", "approved_until"])]

    def __str__(self):
        return f"access request #{self.pk} ({self.ticket})"

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

class SweepRun(models.Model):
    """One pass of the transient-object sweeper (governance.sweeper): what it had to clean up.

    Every count should be zero: jobs delete their images when they end. A non-zero count means
    something outlived its deadline or bucket and database disagreed; it is logged as a warning.
    """

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expired_deleted = models.PositiveIntegerField("past deadline, deleted", default=0)
    held_skipped = models.PositiveIntegerField("past deadline, kept by a legal hold", default=0)
    orphans_deleted = models.PositiveIntegerField("in the bucket with no record, deleted", default=0)
    missing_closed = models.PositiveIntegerField("recorded but gone from the bucket, closed", default=0)
    needed_work = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"sweep at {self.started_at:%Y-%m-%d %H:%M:%S}"
