"""The personal-data registry is complete: a model with a personal field that is neither registered
nor exempted here (with its reason) fails this test."""

import pytest
from django.apps import apps
from django.conf import settings
from encrypted_model_fields.fields import EncryptedMixin

from compliance import datamap
from governance.datamap import registry

APPS = ("governance", "search", "compliance")
# Models that hold a personal field but are deliberately not walked by export/erasure.
EXEMPT = {
    "governance.legalhold": "a legal hold is what stops erasure; it is released, not erased",
    "governance.keycanary": "the encryption canary: a fixed value, no person",
    "governance.supportstaff": "a staff role: deleted with the account (CASCADE from the user)",
    "compliance.erasuresuppression": "keeps an erased person erased (CCPA 7022): only the blind index",
    "compliance.saleoptout": "an opt-out must outlive erasure (CCPA 7026): only the blind index",
}


def personal_fields(model) -> list[str]:
    found = []
    for field in model._meta.concrete_fields:
        if isinstance(field, EncryptedMixin) or field.name.endswith(("subject_index", "email_index")):
            found.append(field.name)
        elif field.is_relation and field.related_model is not None and field.related_model._meta.label == settings.AUTH_USER_MODEL:
            found.append(field.name)
    return found


def test_every_model_with_a_personal_field_is_registered_or_exempt():
    missing = []
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.proxy or not personal_fields(model):
                continue
            name = model._meta.label_lower
            if registry.entry_for(model) is None and name not in EXEMPT:
                missing.append(f"{name} ({', '.join(personal_fields(model))})")
    assert not missing, "add these to an app's personal_data.py (governance.datamap.registry.register): " + "; ".join(missing)


def test_the_check_sees_a_new_personal_model():
    from django.db import models

    class Stray(models.Model):
        owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

        class Meta:
            app_label = "compliance"
            managed = False

    try:
        assert personal_fields(Stray) == ["owner"] and registry.entry_for(Stray) is None
    finally:
        apps.all_models["compliance"].pop("stray", None)
        apps.clear_cache()


@pytest.mark.django_db
def test_every_entry_finds_its_subject_and_describes_itself(acme):
    for entry in registry.entries():
        assert entry.description and entry.category and entry.erasure in (registry.DELETE, registry.ANONYMISE)
        for name in entry.fields:
            entry.model._meta.get_field(name)
        for name in entry.anonymise:
            entry.model._meta.get_field(name)
        list(datamap.rows(entry, tenant_id=acme.pk, subject_index="0" * 64)[:1])  # the lookup path resolves


def test_erasure_deletes_children_first():
    order = [e.model._meta.label_lower for e in datamap.children_first()]
    assert order.index("search.searchresult") < order.index("search.searchjob") < order.index("governance.user")
    assert order.index("governance.membership") < order.index("governance.user")
