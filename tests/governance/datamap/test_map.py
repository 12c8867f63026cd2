"""The data map as the application declares it: complete, one vocabulary, paths that resolve on
the real database, and platform retention defaults that follow the categories."""

from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib import admin
from django.db.models.signals import post_delete, pre_delete

from governance.datamap import DATA_MAP, SPECS, Category
from governance.datamap.checks import check_data_map, project_models
from governance.datamap.defaults import ensure_retention_defaults
from governance.models import AccessRequest, RetentionPolicy, StoredObject
from governance.retention import enforce
from governance.support import grants
from search.models import SearchResult, UsageEvent


def test_the_application_map_passes_every_check():
    errors = check_data_map(DATA_MAP, models_to_cover=project_models(), admin_site=admin.site)
    assert errors == [], [e.msg for e in errors]


def test_the_check_covers_every_app_of_the_project():
    labels = {m._meta.app_label for m in project_models()}
    assert {"governance", "search", "compliance"} <= labels
    assert "auth" not in labels and "django_celery_beat" not in labels


def test_exemptions_say_why():
    exempt = DATA_MAP.exemptions()
    assert set(exempt) == {
        "governance.legalhold", "governance.keycanary", "governance.supportstaff",
        "compliance.erasuresuppression", "compliance.saleoptout",
    }
    assert all(len(reason) > 20 for reason in exempt.values())


def test_one_vocabulary_serves_retention_support_and_export():
    declared = {d.category for d in DATA_MAP.declarations()}
    assert declared == set(Category.values)
    retention = {c for c, _ in RetentionPolicy._meta.get_field("category").choices}
    assert retention == {c for c in Category.values if SPECS[c].retention is not None}
    assert retention == {d.category for d in DATA_MAP.retained()}
    scopes = {c for c, _ in grants.scope_choices()}
    assert scopes == {"search_text", "transient_images", "retained_images", "export_archives", "privacy_requests"}
    assert set(grants.nameable_models()) == {"search.searchjob", "governance.storedobject", "compliance.datasubjectrequest"}


def test_stored_objects_are_split_by_purpose_into_categories():
    by_purpose = {p: DATA_MAP.category_of(StoredObject, purpose=p) for p in StoredObject.Purpose.values}
    assert by_purpose == {
        "transient_image": "transient_images",
        "support_view": "transient_images",
        "retained_image": "retained_images",
        "export_archive": "export_archives",
        "audit_checkpoint": "audit_events",
    }
    assert all(d.split is not None for d in DATA_MAP.for_model(StoredObject))


@pytest.mark.django_db
def test_every_declaration_finds_its_subject_in_one_tenant_and_describes_itself(acme):
    for entry in DATA_MAP.subject_declarations():
        assert entry.description and entry.category
        list(DATA_MAP.rows(entry, tenant_id=acme.pk, subject_index="0" * 64)[:1])  # the lookup path resolves


def test_erasure_deletes_children_first():
    order = [e.label for e in DATA_MAP.children_first()]
    assert order.index("search.searchresult") < order.index("search.searchjob") < order.index("governance.user")
    assert order.index("governance.membership") < order.index("governance.user")


def test_plain_retention_keeps_its_set_based_delete():
    # A pre/post_delete receiver (one connected without a sender too) would turn these into per-row deletes.
    for model in (UsageEvent, SearchResult, AccessRequest):
        (declaration,) = DATA_MAP.for_model(model)
        assert not pre_delete.has_listeners(model) and not post_delete.has_listeners(model)
        assert enforce._fast_delete_ok(declaration), model


# --- the platform defaults -----------------------------------------------------------------------


@pytest.mark.django_db
def test_every_retained_category_has_its_explained_default_after_migrate():
    assert {p.category for p in RetentionPolicy.objects.all()} == {d.category for d in DATA_MAP.retained()}
    support = RetentionPolicy.objects.get(category="support_access")
    assert (support.max_age, support.min_age, support.max_age_bound) == (timedelta(days=90), timedelta(days=30), timedelta(days=730))


@pytest.mark.django_db
def test_ensuring_defaults_restores_a_missing_one_and_never_overwrites_an_edit():
    RetentionPolicy.objects.filter(category="usage_events").update(max_age=timedelta(days=200), description="ours")
    RetentionPolicy.objects.filter(category="search_results").delete()
    assert ensure_retention_defaults(apps=django_apps) == ["search_results"]
    edited = RetentionPolicy.objects.get(category="usage_events")
    assert (edited.max_age, edited.description) == (timedelta(days=200), "ours")
    restored = RetentionPolicy.objects.get(category="search_results")
    assert restored.max_age == SPECS[Category.SEARCH_RESULTS].retention.max_age
    assert ensure_retention_defaults(apps=django_apps) == []
