"""`manage.py check` refuses a data map with a hole: each failure, declared into a throwaway map."""

from dataclasses import replace

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import models

from compliance.models import DataSubjectRequest
from governance.datamap import DATA_MAP, DELETE, Category, DataMap, Retention, Split
from governance.datamap.checks import check_data_map, project_models
from governance.models import AccessRequest, StoredObject, Transfer, User
from search.models import SearchJob, SearchResult, UsageEvent


def real_map_without(*models_left_out) -> DataMap:
    data_map = DataMap(d for d in DATA_MAP.declarations() if d.model not in models_left_out)
    for label, reason in DATA_MAP.exemptions().items():
        data_map.exempt(apps.get_model(label), reason=reason)
    return data_map


def with_replaced(model, **changes) -> DataMap:
    """The application's map with the declaration(s) of `model` changed."""
    data_map = real_map_without(model)
    for d in DATA_MAP.for_model(model):
        data_map._add(replace(d, **changes))
    return data_map


def errors(data_map, *, admin_site=None, covering=None):
    found = check_data_map(data_map, models_to_cover=covering if covering is not None else project_models(), admin_site=admin_site)
    return [(e.id, e.msg) for e in found]


def ids(found):
    return {i for i, _ in found}


def test_the_real_map_is_clean_so_every_failure_below_is_the_one_made():
    assert errors(real_map_without(), admin_site=admin.site) == []


# --- undeclared personal data: E101 --------------------------------------------------------------


def test_a_model_with_a_personal_field_must_be_declared():
    found = errors(real_map_without(SearchJob))
    assert ids(found) == {"sightguard.E101", "sightguard.E102"}  # and search_text now governs nothing
    assert [msg for i, msg in found if i == "sightguard.E101"] == [
        "search.searchjob holds personal data (created_by, context, description) but is not in the data map."
    ]


def test_a_new_model_pointing_at_an_account_is_seen_and_an_exemption_needs_a_reason():
    class Stray(models.Model):
        owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

        class Meta:
            app_label = "compliance"
            managed = False

    try:
        data_map = real_map_without()
        assert ids(errors(data_map, covering=[Stray])) == {"sightguard.E101"}
        with pytest.raises(ValueError):
            data_map.exempt(Stray, reason=" ")
        data_map.exempt(Stray, reason="a test model that stands for a forgotten one")
        assert errors(data_map, covering=[Stray]) == []
    finally:
        apps.all_models["compliance"].pop("stray", None)
        apps.clear_cache()


# --- categories: E102, E104 ----------------------------------------------------------------------


def test_a_category_that_governs_no_model_fails():
    found = errors(real_map_without(UsageEvent, Transfer), covering=[])
    assert found == [("sightguard.E102", "The category 'usage_events' governs no model.")]


def test_a_category_with_a_retention_default_needs_a_declaration_that_ages():
    # The support records once had a 90-day default that governed nothing.
    found = errors(with_replaced(AccessRequest, retention=None))
    assert ids(found) == {"sightguard.E104"} and "'support_access' has a retention default" in found[0][1]


def test_retention_in_a_category_without_a_default_fails():
    found = errors(with_replaced(User, retention=Retention(timestamp="date_joined")))
    assert ids(found) == {"sightguard.E104"}


# --- paths: E103 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, changes, words",
    [
        (SearchResult, {"subject": "job__creator__email_index"}, "subject path 'job__creator__email_index' does not resolve"),
        (SearchResult, {"subject": "job__created_by__email"}, "does not end at a blind index"),
        (SearchResult, {"retention": Retention(timestamp="made_at")}, "retention timestamp 'made_at' is not a date-time"),
        (SearchResult, {"retention": Retention(timestamp="rank")}, "retention timestamp 'rank' is not a date-time"),
        (User, {"tenant_scoped": True}, "tenant path 'tenant' does not lead to a tenant"),
        (DataSubjectRequest, {"anonymise": {"e_mail": ""}}, "anonymised field 'e_mail' does not resolve"),
        (SearchResult, {"export_fields": {"title": "document__name"}}, "'document__name' does not resolve"),
        (DataSubjectRequest, {"content": {"mail": Category.PRIVACY_REQUESTS}}, "content field 'mail' does not resolve"),
        (SearchResult, {"content": {"bucket_object": Category.SEARCH_RESULTS}}, "records no bucket object"),
        (SearchJob, {"stored_object": "document"}, "stored object field 'document' does not resolve"),
        (SearchJob, {"stored_object": "created_by"}, "stored object field 'created_by' does not resolve"),
        (StoredObject, {"split": Split("kind", ("transient_image",))}, "split field 'kind' does not resolve"),
    ],
)
def test_a_declared_path_that_does_not_resolve_fails(model, changes, words):
    found = errors(with_replaced(model, **changes), covering=[])
    assert "sightguard.E103" in ids(found) and any(words in msg for _, msg in found), found


def test_a_tenant_path_comes_from_the_scoping_seam(monkeypatch):
    monkeypatch.setattr(SearchResult, "TENANT_FIELD", "job__tenant", raising=False)
    assert errors(real_map_without(), covering=[]) == []
    monkeypatch.setattr(SearchResult, "TENANT_FIELD", "job__owner", raising=False)
    found = errors(real_map_without(), covering=[])
    assert found == [("sightguard.E103", "search.searchresult:search_results: the tenant path 'job__owner' does not lead to a tenant "
                      "(set TENANT_FIELD, or tenant_scoped=False).")]


# --- splits: E105 --------------------------------------------------------------------------------


def test_a_split_must_put_every_row_in_one_category():
    data_map = real_map_without(StoredObject)
    for d in DATA_MAP.for_model(StoredObject):
        if d.category != Category.TRANSIENT_IMAGES:
            data_map._add(d)
    found = errors(data_map, covering=[])
    assert ("sightguard.E105", "governance.storedobject: rows with purpose in ['support_view', 'transient_image'] belong to no category.") in found


def test_declaring_a_model_twice_needs_a_split():
    data_map = real_map_without()
    with pytest.raises(ValueError, match="declared twice"):
        data_map.declare(UsageEvent, category=Category.SEARCH_RESULTS, description="again")
    with pytest.raises(ValueError, match="unknown data category"):
        DataMap().declare(UsageEvent, category="usage_event", description="an old name")
    with pytest.raises(ValueError, match="needs a subject"):
        DataMap().declare(UsageEvent, category=Category.USAGE_EVENTS, description="x", erasure=DELETE)


# --- the admin agrees with the map: E106 ---------------------------------------------------------


def test_an_admin_hiding_other_fields_than_the_map_declares_fails():
    site = admin.AdminSite(name="throwaway")

    class JobAdmin(admin.ModelAdmin):
        content_fields = ("context", "status")

    site.register(SearchJob, JobAdmin)
    found = errors(real_map_without(), admin_site=site, covering=[])
    assert ids(found) == {"sightguard.E106"}
    messages = " ".join(msg for _, msg in found)
    assert "hides 'status'" in messages
    assert "shows 'description'" in messages and "shows 'image'" in messages and "shows 'retained_image'" in messages
