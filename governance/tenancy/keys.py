"""API keys: shown once, stored as a SHA-256 hash, looked up by a public prefix, revocable."""

import hmac
import secrets
from datetime import timedelta

from django.utils import timezone

from governance import audit
from governance.crypto import secret_hash
from governance.models import ApiKey, Membership

KEY_PREFIX = "sg_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def issue_key(*, membership: Membership, actor=None) -> tuple[ApiKey, str]:
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        tenant=membership.tenant, user=membership.user, prefix=prefix, key_hash=secret_hash(raw)
    )
    audit.record(action="api_key.issued", actor=actor, tenant=membership.tenant, target=key)
    return key, raw


def revoke_key(*, key: ApiKey, actor=None) -> None:
    if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        audit.record(action="api_key.revoked", actor=actor, tenant=key.tenant_id, target=key)


def resolve_key(raw: str) -> ApiKey | None:
    """The live key for this secret, with its tenant and user, or None."""
    if not raw.startswith(KEY_PREFIX) or raw.count("_") < 2:
        return None
    prefix = raw[len(KEY_PREFIX):].split("_", 1)[0]
    key = (
        ApiKey.objects.select_related("tenant", "user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.key_hash, secret_hash(raw)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
