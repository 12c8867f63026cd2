"""A tenant's documents (API and admin) and the search of a job's description against them."""

import io

import pytest

from governance.datamap import DATA_MAP
from governance.models import AuditEvent
from search import matching
from search.models import Document, SearchJob, SearchResult
from tests.conftest import make_jpeg
from tests.fakes.fixtures import allow_provider, point_settings_at, provider_server  # noqa: F401
from tests.fakes.provider_server import Reply

pytestmark = pytest.mark.django_db

GEARBOX = {"title": "Planetary gearbox", "text": "A planetary gearbox with a sun gear, three planet gears and a ring gear in a steel housing.", "external_id": "EP-1"}
VALVE = {"title": "Ball valve", "text": "A brass ball valve with a lever handle and PTFE seats for water pipes.", "external_id": "EP-2"}
COFFEE = {"title": "Coffee grinder", "text": "A conical burr coffee grinder with a hopper and a crank handle.", "external_id": "EP-3"}


def add(actor, doc):
    response = actor.api.post("/api/v1/documents/", doc, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- the API ---------------------------------------------------------------------------------------


def test_a_tenant_admin_adds_lists_and_removes_documents(alice, bob):
    created = add(alice, GEARBOX)
    assert {k: created[k] for k in ("title", "text", "external_id")} == GEARBOX
    assert [d["id"] for d in bob.api.get("/api/v1/documents/").json()] == [created["id"]]
    assert bob.api.get(f"/api/v1/documents/{created['id']}/").json()["title"] == "Planetary gearbox"
    assert alice.api.delete(f"/api/v1/documents/{created['id']}/").status_code == 204
    assert not Document.objects.exists()
    actions = list(AuditEvent.objects.filter(target_type="search.document").order_by("id").values_list("action", "tenant_id"))
    assert actions == [("document.added", alice.tenant.pk), ("document.removed", alice.tenant.pk)]


def test_a_member_reads_but_does_not_change_the_collection(alice, bob):
    created = add(alice, GEARBOX)
    response = bob.api.post("/api/v1/documents/", VALVE, format="json")
    assert response.status_code == 403 and response.json()["code"] == "admin_required"
    assert bob.api.delete(f"/api/v1/documents/{created['id']}/").status_code == 403
    assert Document.objects.count() == 1


def test_another_tenant_sees_and_touches_nothing(alice, charlie, dave):
    created = add(alice, GEARBOX)
    not_found = {"code": "not_found", "detail": "Not found."}
    for outsider in (charlie, dave):
        assert outsider.api.get("/api/v1/documents/").json() == []
        response = outsider.api.get(f"/api/v1/documents/{created['id']}/")
        assert response.status_code == 404 and response.json() == not_found
    response = charlie.api.delete(f"/api/v1/documents/{created['id']}/")
    assert response.status_code == 404 and response.json() == not_found
    # A member is refused deletes before any lookup: the same answer for a foreign id as for none.
    foreign, missing = (dave.api.delete(f"/api/v1/documents/{pk}/") for pk in (created["id"], 999999))
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json()) == (403, foreign.json())
    assert Document.objects.filter(pk=created["id"]).exists()


def test_a_document_belongs_to_the_callers_tenant_whatever_the_body_says(alice, globex):
    created = add(alice, {**GEARBOX, "tenant": globex.pk})
    assert Document.objects.get(pk=created["id"]).tenant_id == alice.tenant.pk


def test_an_external_id_is_unique_within_a_tenant_only(alice, charlie):
    add(alice, GEARBOX)
    again = alice.api.post("/api/v1/documents/", {**VALVE, "external_id": "EP-1"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "document_exists"
    add(charlie, GEARBOX)  # another tenant may use the same id
    add(alice, {**VALVE, "external_id": ""})
    add(alice, {**COFFEE, "external_id": ""})  # blank ids do not collide
    assert Document.objects.count() == 4


def test_bad_documents_are_refused(alice):
    for body in ({"title": "", "text": "x"}, {"title": "t"}, {"title": "t" * 301, "text": "x"}):
        response = alice.api.post("/api/v1/documents/", body, format="json")
        assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not Document.objects.exists()


def test_without_a_key_nothing(client, acme):
    assert client.get("/api/v1/documents/").status_code == 401
    assert client.post("/api/v1/documents/", GEARBOX).status_code == 401


# --- matching --------------------------------------------------------------------------------------


def test_terms_drop_stop_words_and_repeats():
    assert matching.terms_of("The gear and the GEAR, with 2 springs; a steel-gear") == ["gear", "springs", "steel"]


def test_documents_are_ranked_by_how_well_they_match(acme, globex):
    gearbox = Document.objects.create(tenant=acme, **GEARBOX)
    valve = Document.objects.create(tenant=acme, **VALVE)
    Document.objects.create(tenant=acme, **COFFEE)
    Document.objects.create(tenant=globex, **GEARBOX)  # the same text in another tenant: never read
    ranked = matching.rank_documents(tenant_id=acme.pk, text="A steel gearbox with planet gears and a lever.", limit=10)
    ids = [pk for pk, _ in ranked]
    assert ids == [gearbox.pk, valve.pk]  # coffee grinder shares no term; globex's is not acme's
    assert ranked[0][1] > ranked[1][1] > 0
    assert matching.rank_documents(tenant_id=acme.pk, text="the and with", limit=10) == []
    assert len(matching.rank_documents(tenant_id=acme.pk, text="gearbox valve", limit=1)) == 1


def test_ranking_many_texts_at_once_gives_what_ranking_each_gives(acme, globex):
    for doc in (GEARBOX, VALVE, COFFEE):
        Document.objects.create(tenant=acme, **doc)
    Document.objects.create(tenant=globex, **GEARBOX)
    Document.objects.create(tenant=globex, title="Lever press", text="A hand lever press with a steel frame.")
    queries = [
        (acme.pk, "A steel gearbox with planet gears and a lever."),
        (globex.pk, "A steel gearbox with planet gears and a lever."),
        (acme.pk, "the and with"),
        (acme.pk, "a conical grinder, brass handle, 2 levers"),
        (globex.pk, "nothing matches zebra"),
    ]
    for limit in (1, 10):
        each = [matching.rank_documents(tenant_id=tenant, text=text, limit=limit) for tenant, text in queries]
        assert matching.rank_many(queries=queries, limit=limit) == each
        assert any(len(r) > 1 for r in each) or limit == 1


def search_with(settings, server, actor, capture, answer):
    point_settings_at(settings, "gemini", server)
    allow_provider(actor.tenant, "gemini")
    server.script(Reply(text=answer))
    image = io.BytesIO(make_jpeg())
    image.name = "x.jpg"
    with capture(execute=True):
        response = actor.api.post("/api/v1/search-jobs/", {"image": image}, format="multipart")
    return actor.api.get(f"/api/v1/search-jobs/{response.json()['id']}/").json()


def test_a_jobs_description_is_searched_in_its_tenants_documents(
    settings, provider_server, alice, bob, charlie, django_capture_on_commit_callbacks
):
    gearbox, valve = add(alice, GEARBOX), add(alice, VALVE)
    add(alice, COFFEE)
    add(charlie, GEARBOX)
    job = search_with(
        settings, provider_server, bob, django_capture_on_commit_callbacks,
        "A steel planetary gearbox: a sun gear, planet gears and a ring gear, driven by a lever.",
    )
    assert job["status"] == "done"
    results = job["results"]
    assert [r["document"]["id"] for r in results] == [gearbox["id"], valve["id"]]
    assert [r["rank"] for r in results] == [1, 2]
    assert results[0]["score"] > results[1]["score"] > 0
    assert results[0]["document"] == {"id": gearbox["id"], "title": "Planetary gearbox", "external_id": "EP-1"}
    stored = SearchResult.objects.filter(job_id=job["id"])
    assert {r.tenant_id for r in stored} == {bob.tenant.pk}


def test_no_documents_no_results(settings, provider_server, bob, django_capture_on_commit_callbacks):
    job = search_with(settings, provider_server, bob, django_capture_on_commit_callbacks, "A steel gearbox.")
    assert (job["status"], job["results"]) == ("done", [])


def test_results_follow_their_job_and_their_document(
    settings, provider_server, alice, bob, dave, django_capture_on_commit_callbacks
):
    gearbox = add(alice, GEARBOX)
    add(alice, VALVE)
    job = search_with(settings, provider_server, bob, django_capture_on_commit_callbacks, "gearbox valve")
    assert len(job["results"]) == 2
    assert dave.api.get(f"/api/v1/search-jobs/{job['id']}/").status_code == 404
    alice.api.delete(f"/api/v1/documents/{gearbox['id']}/")
    assert [r["document"]["title"] for r in bob.api.get(f"/api/v1/search-jobs/{job['id']}/").json()["results"]] == ["Ball valve"]
    SearchJob.objects.filter(pk=job["id"]).delete()
    assert not SearchResult.objects.exists()


def test_results_are_their_own_retention_category_and_in_the_data_map(
    settings, provider_server, alice, bob, django_capture_on_commit_callbacks
):
    add(alice, GEARBOX)
    search_with(settings, provider_server, bob, django_capture_on_commit_callbacks, "gearbox")
    (entry,) = DATA_MAP.for_model(SearchResult)
    assert entry.category == "search_results" and entry.retention.timestamp == "created_at"
    rows = list(DATA_MAP.rows(entry, tenant_id=bob.tenant.pk, subject_index=bob.user.email_index))
    assert len(rows) == 1 and entry.export(rows[0])["document_title"] == "Planetary gearbox"
    assert list(DATA_MAP.rows(entry, tenant_id=bob.tenant.pk, subject_index=alice.user.email_index)) == []
    assert DATA_MAP.for_model(Document) == []  # tenant content, not a person's


# --- the admin -------------------------------------------------------------------------------------


def test_a_tenant_admin_sees_and_adds_their_tenants_documents_in_the_admin(client, alice, acme, globex):
    Document.objects.create(tenant=acme, **GEARBOX)
    Document.objects.create(tenant=globex, title="Globex turbine", text="x", external_id="G-1")
    client.force_login(alice.user)
    page = client.get("/admin/search/document/")
    assert page.status_code == 200
    assert b"Planetary gearbox" in page.content and b"Globex turbine" not in page.content
    foreign = Document.objects.get(tenant=globex)
    assert client.get(f"/admin/search/document/{foreign.pk}/change/").status_code == 404
    response = client.post(
        "/admin/search/document/add/", {"tenant": acme.pk, "title": "Ball valve", "text": "brass", "external_id": "EP-9"}
    )
    assert response.status_code == 302, response.content
    assert AuditEvent.objects.filter(action="document.added", tenant_id=acme.pk).exists()
    refused = client.post("/admin/search/document/add/", {"tenant": globex.pk, "title": "Sneaky", "text": "x"})
    assert refused.status_code == 200 and not Document.objects.filter(title="Sneaky").exists()


def test_members_and_the_operator_do_not_reach_documents_in_the_admin(client, bob, operator, acme):
    document = Document.objects.create(tenant=acme, **GEARBOX)
    bob.user.is_staff = True  # even with staff status, a member administers nothing
    bob.user.save()
    for person in (bob.user, operator):
        client.force_login(person)
        assert client.get("/admin/search/document/").status_code == 403
        assert client.get(f"/admin/search/document/{document.pk}/change/").status_code == 403  # closed whatever the id
        assert b"Planetary gearbox" not in client.get("/admin/").content
