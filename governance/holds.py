"""Legal holds: what they protect. Retention and erasure ask here before they delete anything."""

from django.db.models import Model, Q, QuerySet

from .models import LegalHold


def active(tenant_id) -> QuerySet:
    return LegalHold.objects.filter(tenant_id=tenant_id, released_at__isnull=True)


def tenant_is_held(tenant_id) -> bool:
    return active(tenant_id).filter(scope=LegalHold.Scope.TENANT).exists()


def subject_is_held(*, tenant_id, subject_index: str) -> bool:
    return active(tenant_id).filter(
        Q(scope=LegalHold.Scope.TENANT) | Q(scope=LegalHold.Scope.SUBJECT, subject_index=subject_index)
    ).exists()


def held_object_ids(*, tenant_id, model: type[Model]) -> set[str]:
    """Primary keys (as strings) of this model's rows under an object hold in this tenant."""
    return set(
        active(tenant_id)
        .filter(scope=LegalHold.Scope.OBJECT, object_type=model._meta.label_lower)
        .values_list("object_id", flat=True)
    )
