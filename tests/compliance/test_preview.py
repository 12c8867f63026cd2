"""Before an erasure or export runs, the reviewer sees what it will touch: counts per category and
bucket prefix, and the holds that keep things. The preview itself changes nothing."""

import pytest
from django.test import Client

from compliance import preview
from compliance.models import DataSubjectRequest
from compliance.requests import file_request
from governance.models import StoredObject
from governance.retention import holds
from tests.governance.support.fixtures import make_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def erasure(acme, bob):
    make_job(bob, context="CTX-one", description="DESC-one")
    make_job(bob, context="CTX-two", description="DESC-two")
    return file_request(tenant=acme, kind="erasure", regime="gdpr", email="bob@acme.example", source="form", verified=True)


def counts(result):
    return {(c.category, c.action): (c.rows, c.held) for c in result.categories}


def test_an_erasure_preview_counts_rows_per_category_and_files_per_prefix(erasure, bob):
    result = preview.preview(request=erasure)
    rows = counts(result)
    assert rows[("search_text", "delete")][0] == 2
    assert rows[("account", "delete")][0] >= 1
    stored = StoredObject.objects.filter(tenant=bob.tenant, deleted_at__isnull=True).count()
    assert stored >= 2 and result.total_objects == stored
    assert {p.prefix for p in result.objects} <= {"tmp/images/", "retained/images/"}
    assert result.held_whole == "" and result.total_held == 0
    assert DataSubjectRequest.objects.get(pk=erasure.pk).status == "open"  # nothing ran


def test_holds_show_as_what_they_keep(erasure, acme, alice, bob):
    job = bob.user.search_jobs.first()
    holds.set_hold(tenant=acme, scope="object", reason="Case 7", actor=alice.user, object_type="search.searchjob",
                   object_id=str(job.pk))
    assert counts(preview.preview(request=erasure))[("search_text", "delete")] == (2, 1)
    holds.set_hold(tenant=acme, scope="subject", reason="Case 8", actor=alice.user, subject_email="bob@acme.example")
    result = preview.preview(request=erasure)
    assert result.held_whole == "subject" and [h.scope for h in result.holds] == ["subject"]


def test_an_export_preview_counts_what_the_archive_will_hold(acme, bob):
    make_job(bob, context="CTX-x", description="DESC-x")
    access = file_request(tenant=acme, kind="access", regime="gdpr", email="bob@acme.example", source="form", verified=True)
    result = preview.preview(request=access)
    assert all(c.action == "export" for c in result.categories) and result.total_rows >= 2
    assert result.objects == []


def test_the_admin_shows_the_preview_before_the_erasure_and_another_tenant_gets_404(erasure, alice, charlie):
    client = Client()
    client.force_login(alice.user)
    page = client.get(f"/admin/compliance/datasubjectrequest/{erasure.pk}/decide/?decision=approve").content.decode()
    assert "Erase now" in page and "Search contexts and descriptions" in page and "tmp/images/" in page
    assert "DESC-one" not in page and "bob@acme.example" not in page
    assert DataSubjectRequest.objects.get(pk=erasure.pk).status == "open"
    client.force_login(charlie.user)
    assert client.get(f"/admin/compliance/datasubjectrequest/{erasure.pk}/decide/?decision=approve").status_code == 404
