"""Tenants, their members and API keys, and the encryption-key canary."""

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedEmailField, EncryptedTextField

from governance.crypto import blind_index


class FaceRedaction(models.TextChoices):
    """How a face is made unrecognisable before an image is described (search/faces.py)."""

    PIXELATE = "pixelate", "Pixelate and blur"
    FILL = "fill", "Solid fill"


class Tenant(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    face_blur = models.BooleanField(default=True, help_text="Blur faces before an image is described.")
    face_redaction = models.CharField(
        max_length=16,
        choices=FaceRedaction.choices,
        default=FaceRedaction.PIXELATE,
        help_text="How each head is covered: averaged blocks then a blur, or flat grey.",
    )
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

class KeyCanary(models.Model):
    """A known value encrypted with FIELD_ENCRYPTION_KEY: start-up refuses a key that can't read it."""

    value = EncryptedTextField()
