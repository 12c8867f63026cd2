"""Legal holds: what they protect. Retention and erasure ask here before they delete anything."""

from django.db.models import Model

from governance.models import LegalHold


def check_hold(
    *, scope: str, reason: str, subject_email: str = "", subject_index: str = "", object_type: str = "", object_id: str = ""
) -> dict:
    """Validate a hold; returns the fields to store (a subject is kept as its blind index only)."""
    from django.apps import apps

    from governance.crypto import blind_index
    from governance.errors import SightguardError

    if scope not in LegalHold.Scope.values:
        raise SightguardError("Unknown hold scope.", code="hold_invalid_scope")
    if not (reason or "").strip():
        raise SightguardError("A legal hold needs a reason.", code="hold_reason_required")
    if scope == LegalHold.Scope.SUBJECT:
        subject_index = blind_index(subject_email) if subject_email else subject_index
        if not subject_index:
            raise SightguardError("A subject hold needs the person's e-mail address.", code="hold_subject_required")
        return {"scope": scope, "subject_index": subject_index, "object_type": "", "object_id": ""}
    if scope == LegalHold.Scope.OBJECT:
        try:
            apps.get_model(object_type)
        except (LookupError, ValueError) as exc:
            raise SightguardError("Name the object's type as app_label.model.", code="hold_object_type_unknown") from exc
        if not (object_id or "").strip():
            raise SightguardError("An object hold needs the object's id.", code="hold_object_required")
        return {"scope": scope, "subject_index": "", "object_type": object_type.lower(), "object_id": object_id.strip()}
    return {"scope": scope, "subject_index": "", "object_type": "", "object_id": ""}


def _user_or_none(actor):
    from django.contrib.auth import get_user_model

    return actor if isinstance(actor, get_user_model()) else None


def set_hold(
    *,
    tenant,
    scope: str,
    reason: str,
    actor,
    subject_email: str = "",
    subject_index: str = "",
    object_type: str = "",
    object_id: str = "",
) -> LegalHold:
    """Place a legal hold (audited). A subject is named by e-mail or blind index; only the index is kept."""
    from django.db import transaction

    from governance import audit

    fields = check_hold(
        scope=scope,
        reason=reason,
        subject_email=subject_email,
        subject_index=subject_index,
        object_type=object_type,
        object_id=object_id,
    )
    with transaction.atomic():
        hold = LegalHold.objects.create(tenant=tenant, reason=reason, created_by=_user_or_none(actor), **fields)
        audit.record(
            action="legal_hold.set",
            actor=actor,
            tenant=tenant,
            target=hold,
            metadata={"scope": scope, "object_type": fields["object_type"] or None},
        )
    return hold


def release_hold(*, hold: LegalHold, actor) -> bool:
    """Release a hold (audited); releasing a released hold changes nothing and returns False."""
    from django.db import transaction
    from django.utils import timezone

    from governance import audit

    with transaction.atomic():
        released = LegalHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
            released_at=timezone.now(), released_by=_user_or_none(actor)
        )
        if released:
            audit.record(
                action="legal_hold.released", actor=actor, tenant=hold.tenant_id, target=hold, metadata={"scope": hold.scope}
            )
    hold.refresh_from_db()
    return bool(released)


class Snapshot:
    """Every active hold on the platform, read in one query: what a retention batch must spare."""

    def __init__(self):
        self.held_tenants: set = set()
        self.subjects: dict = {}
        self.objects: dict = {}
        rows = LegalHold.objects.filter(released_at__isnull=True).values_list(
            "tenant_id", "scope", "subject_index", "object_type", "object_id"
        )
        for tenant_id, scope, subject_index, object_type, object_id in rows:
            if scope == LegalHold.Scope.TENANT:
                self.held_tenants.add(tenant_id)
            elif scope == LegalHold.Scope.SUBJECT and subject_index:
                self.subjects.setdefault(tenant_id, set()).add(subject_index)
            elif scope == LegalHold.Scope.OBJECT:
                self.objects.setdefault((tenant_id, object_type), set()).add(object_id)

    def tenant_is_held(self, tenant_id) -> bool:
        return tenant_id in self.held_tenants

    def subject_indexes(self, tenant_id) -> set[str]:
        return self.subjects.get(tenant_id, set())

    def object_ids(self, tenant_id, model: type[Model]) -> set[str]:
        return self.objects.get((tenant_id, model._meta.label_lower), set())

    def object_ids_any_tenant(self, model: type[Model]) -> set[str]:
        label = model._meta.label_lower
        return {i for (_, type_), ids in self.objects.items() if type_ == label for i in ids}
