"""Offboarding: a tenant that leaves takes all its data with it, and gets a certificate of deletion.

Every tenant-owned table (governance.tenancy.scoping) loses the tenant's rows, children first, one
set-based DELETE per table; every object under the tenant's bucket folders goes, every version and
delete marker, unfinished uploads aborted. What the law requires stays, anonymised: the audit log
(append-only), the data-subject request records (CCPA 7101: 24 months; their e-mails blanked) and
the consent evidence (who accepted blanked). Accounts left without any membership are deleted.

The certificate (counts per category, each bucket folder verified empty by listing its versions)
is written to the object store and its SHA-256 recorded in the audit log. A legal hold on anything
of the tenant refuses it. Running it again once done changes nothing and returns the same certificate.
"""

import hashlib
import json

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance import audit
from governance.errors import SightguardError
from governance.models import AuditEvent, LegalHold, Membership, StoredObject, Tenant, User
from governance.storage import objectstore
from governance.tenancy import scoping

CERTIFICATES = "certificates/offboarding/"
# What stays, anonymised, and why; {label: (fields to blank, reason)}.
KEPT = {
    "governance.auditevent": ({}, "audit log: append-only, nothing personal in it; kept for its retention time"),
    "compliance.datasubjectrequest": ({"email": "", "reviewed_by": None},
                                      "request records: kept 24 months after closing (CCPA 7101), without e-mail"),
    "governance.consentrecord": ({"accepted_by": None}, "consent evidence: the terms the tenant accepted, without who"),
    "governance.consentrevocation": ({"revoked_by": None}, "consent evidence: revocations, without who"),
}


class OffboardingRefused(SightguardError):
    code, status, detail = "offboarding_refused", 409, "The tenant cannot be offboarded."


def _tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise OffboardingRefused(f"no tenant {slug!r}", code="tenant_unknown", status=404)
    return tenant


def _owned_models() -> list:
    """Tenant-owned models, children first (a model before every model its foreign keys point to)."""
    models = [m for m in apps.get_models() if scoping.is_tenant_owned(m) and not m._meta.proxy and m is not Tenant]
    ordered, seen = [], set()

    def visit(model):
        if model in seen:
            return
        seen.add(model)
        for other in models:
            if other is not model and any(
                f.is_relation and f.many_to_one and f.related_model is model for f in other._meta.concrete_fields
            ):
                visit(other)
        ordered.append(model)

    for model in sorted(models, key=lambda m: m._meta.label_lower):
        visit(model)
    return ordered


def _rows(model, tenant_id):
    return model._base_manager.filter(**{scoping.tenant_path(model): tenant_id})


def _folders(tenant_id) -> list[str]:
    return sorted({f"{prefix}{tenant_id}/" for prefix in objectstore.PREFIXES.values()})


def inventory(*, slug: str) -> dict:
    """What offboarding would delete and keep, counted (the confirmation page and the dry run)."""
    tenant = _tenant(slug)
    goes, stays = {}, {}
    for model in _owned_models():
        label, n = model._meta.label_lower, _rows(model, tenant.pk).count()
        if n:
            (stays if label in KEPT else goes)[label] = n
    live_objects = StoredObject.objects.filter(tenant_id=tenant.pk, deleted_at__isnull=True).count()
    return {"tenant": tenant.slug, "rows_deleted": goes, "rows_kept": stays, "live_objects": live_objects,
            "bucket_folders": _folders(tenant.pk), "holds": _holds(tenant)}


def _holds(tenant) -> int:
    return LegalHold.objects.filter(tenant=tenant, released_at__isnull=True).count()


def certificate_of(tenant) -> dict | None:
    done = AuditEvent.objects.filter(tenant_id=tenant.pk, action="tenant.offboarded").order_by("-id").first()
    if done is None:
        return None
    return json.loads(objectstore.backend().get(done.metadata["certificate"]))


def offboard(*, slug: str, actor) -> dict:
    """Delete the tenant's data and return the certificate of deletion (the earlier one, if done)."""
    tenant = _tenant(slug)
    if (earlier := certificate_of(tenant)) is not None:
        return earlier
    if _holds(tenant):
        raise OffboardingRefused("the tenant has data under a legal hold; release the hold first", code="legal_hold")
    started = timezone.now()
    store = objectstore.backend()
    versions_deleted, locked = {}, {}
    for folder in _folders(tenant.pk):
        deleted, refused = store.purge_prefix(folder)
        versions_deleted[folder] = deleted
        if refused:
            locked[folder] = len(refused)
    member_ids = list(Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True))
    rows_deleted, rows_kept = {}, {}
    with transaction.atomic():
        for model in _owned_models():
            label, rows = model._meta.label_lower, _rows(model, tenant.pk)
            if label in KEPT:
                blank, reason = KEPT[label]
                n = rows.update(**blank) if blank else rows.count()
                if n:
                    rows_kept[label] = {"rows": n, "why": reason}
                continue
            n = rows._raw_delete(rows.db)
            if n:
                rows_deleted[label] = n
        # Members only ever reach the admin through a membership: without one, the account has no use left.
        orphans = User.objects.filter(pk__in=member_ids, memberships__isnull=True, is_superuser=False)
        accounts = orphans.count()
        orphans.delete()  # few rows; their API keys and other platform-wide rows go with them
        if accounts:
            rows_deleted[settings.AUTH_USER_MODEL.lower()] = accounts
        Tenant.objects.filter(pk=tenant.pk).update(name="")
        left = {folder: sum(1 for _ in store.versions(folder)) for folder in _folders(tenant.pk)}
        certificate = {
            "tenant": tenant.slug,
            "tenant_id": tenant.pk,
            "started_at": started.isoformat(),
            "finished_at": timezone.now().isoformat(),
            "rows_deleted": rows_deleted,
            "rows_kept": rows_kept,
            "object_versions_deleted": versions_deleted,
            "object_versions_locked": locked,
            "bucket_folders_verified_empty": {folder: n == 0 for folder, n in left.items()},
        }
        body = json.dumps(certificate, sort_keys=True, indent=2).encode()
        key = f"{CERTIFICATES}{tenant.pk}-{started.strftime('%Y%m%dT%H%M%S')}.json"
        store.put(key, body, "application/json")
        audit.record(action="tenant.offboarded", actor=actor, tenant=tenant.pk, metadata={
            "certificate": key, "certificate_sha256": hashlib.sha256(body).hexdigest(),
            "rows": sum(rows_deleted.values()), "object_versions": sum(versions_deleted.values())})
    return certificate
