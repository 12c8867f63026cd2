"""Tenants and their members."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.dispatch import Signal

from governance import audit
from governance.crypto import blind_index
from governance.errors import SightguardError
from governance.models import Membership, Tenant, User
from governance.tenancy.keys import issue_key

# Sent inside the transaction whenever a person joins a tenant (tenant_id=, subject_index=): compliance
# flags an identity it erased earlier (its suppression list), without governance importing it.
member_joined = Signal()


SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")


def check_slug(slug: str) -> str:
    """A tenant's slug names it in URLs (/privacy/<slug>/): lowercase letters, digits and inner hyphens."""
    if not SLUG_RE.match(slug or ""):
        raise SightguardError(
            "A tenant's short name uses 1 to 50 lowercase letters, digits and hyphens (not at either end), e.g. acme-oy.",
            code="invalid_slug",
        )
    return slug


def check_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise SightguardError("That is not an e-mail address (name@example.com).", code="invalid_email") from None
    return email


def create_tenant(*, slug: str, name: str = "", admin_email: str, admin_password: str | None = None, actor=None):
    """A tenant with its first admin; returns (tenant, membership, raw API key)."""
    check_slug(slug)
    check_email(admin_email)
    with transaction.atomic():
        if Tenant.objects.filter(slug=slug).exists():
            raise SightguardError(f"A tenant named {slug!r} exists already.", code="tenant_exists")
        tenant = Tenant.objects.create(slug=slug, name=name or slug)
        audit.record(action="tenant.created", actor=actor, tenant=tenant, target=tenant)
        membership, raw_key = add_member(
            tenant=tenant, email=admin_email, role=Membership.Role.ADMIN, password=admin_password, actor=actor
        )
    return tenant, membership, raw_key


def add_member(*, tenant: Tenant, email: str, role: str = Membership.Role.MEMBER, password: str | None = None, actor=None):
    """Add a person to a tenant (creating the account if new); returns (membership, raw API key)."""
    if role not in Membership.Role.values:
        raise SightguardError(f"Unknown role {role!r}.", code="invalid_role")
    email = check_email(email)
    with transaction.atomic():
        user = User.objects.filter(email_index=blind_index(email)).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password)
        elif password:
            user.set_password(password)
        if role == Membership.Role.ADMIN and not user.is_staff:
            user.is_staff = True  # tenant admins work in the Django admin, scoped to their tenant
        user.save()
        if Membership.objects.filter(tenant=tenant, user=user).exists():
            raise SightguardError("That person is a member of this tenant already.", code="member_exists")
        membership = Membership.objects.create(tenant=tenant, user=user, role=role)
        member_joined.send(sender=Membership, tenant_id=tenant.pk, subject_index=user.email_index)
        audit.record(
            action="member.added", actor=actor, tenant=tenant, target=membership, metadata={"role": role}
        )
        _, raw_key = issue_key(membership=membership, actor=actor)
    return membership, raw_key
