"""Blind indexes for encrypted personal fields, and the start-up check of the encryption key."""

import hashlib
import hmac
import unicodedata

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

CANARY_VALUE = "sightguard-encryption-canary-v1"


def normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().lower()


def blind_index(value: str, *, purpose: str = "email") -> str:
    """HMAC-SHA256 of the normalised value under BLIND_INDEX_KEY (never the encryption key)."""
    message = f"{purpose}:{normalise(value)}".encode()
    return hmac.new(settings.BLIND_INDEX_KEY.encode(), message, hashlib.sha256).hexdigest()


def secret_hash(secret: str) -> str:
    """How a random secret we hand out (API key, bearer token, link nonce) is stored: SHA-256.
    A plain hash suffices because the secret itself has 256 bits of entropy."""
    return hashlib.sha256(secret.encode()).hexdigest()


def bearer_token(authorization: str) -> str:
    """The token of an `Authorization: Bearer <token>` header value, or ""."""
    scheme, _, raw = (authorization or "").partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else ""


def check_encryption_key() -> None:
    """Refuse to start when FIELD_ENCRYPTION_KEY cannot decrypt what is stored.

    django-encrypted-model-fields returns the ciphertext instead of raising on a wrong key, so we
    read back a canary written under the key in use when the database was first used.
    """
    from governance.models import KeyCanary

    try:
        canary = KeyCanary.objects.filter(pk=1).first()
        if canary is None:
            KeyCanary.objects.get_or_create(pk=1, defaults={"value": CANARY_VALUE})
            return
    except DatabaseError:  # not migrated yet: nothing encrypted to protect
        return
    if canary.value != CANARY_VALUE:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY cannot decrypt the data in this database (encryption canary "
            "mismatch). Set the key the data was written with (a comma-separated list allows rotation)."
        )
