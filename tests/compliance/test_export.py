"""Export (access, portability): one ZIP (JSON per category + manifest), encrypted at rest, a link
that expires after an hour, the archive deleted by the sweeper, a new link after verifying again."""

import io
import json
import zipfile
from datetime import timedelta

import boto3
import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from compliance import export, review
from compliance.requests import file_request
from governance.datamap import Category
from governance.models import IssuedLink, StoredObject
from governance.storage import objectstore, sweeper

from .conftest import searches, token_of, verify_link

BOB = "bob@acme.example"
pytestmark = pytest.mark.django_db


def approved_export(actor, admin, committed, kind="access"):
    request = file_request(tenant=actor.tenant, kind=kind, regime="gdpr", email=BOB, source="api", verified=True)
    with committed():
        review.approve(request=request, actor=admin.user)
    request.refresh_from_db()
    return request


def download_link(message):
    return next(u for u in message.body.split() if "/downloads/" in u)


def test_an_export_is_one_encrypted_zip_behind_a_one_hour_link(s3_bucket, alice, bob, dave, committed, outbox):
    searches(bob, jobs=3, results_per_job=2)
    searches(dave, jobs=2)
    request = approved_export(bob, alice, committed)
    assert request.status == "fulfilled" and request.archive_id
    assert request.progress_done == request.progress_total == 3 + 6 + 3 + 1  # jobs, results, account, this request
    archive = request.archive
    assert archive.purpose == "export_archive" and archive.key.startswith("tmp/exports/")
    assert archive.deadline - archive.created_at <= timedelta(hours=1)
    s3 = boto3.client("s3", endpoint_url=objectstore.backend().client.meta.endpoint_url)
    assert s3.head_object(Bucket=s3_bucket, Key=archive.key)["ServerSideEncryption"] == "AES256"

    body = zipfile.ZipFile(io.BytesIO(objectstore.read(archive)))
    manifest = json.loads(body.read("manifest.json"))
    files = {f["file"]: f for f in manifest["files"]}
    assert {"data/search_text.json", "data/search_results.json", "data/account.json", "manifest.json"} <= set(body.namelist()) | {"manifest.json"}
    jobs = json.loads(body.read("data/search_text.json"))["Search jobs"]
    assert sorted(j["context"] for j in jobs) == ["context 0", "context 1", "context 2"]
    assert len(json.loads(body.read("data/search_results.json"))["Search results"]) == 6
    assert all(c["description"] and c["section"] for f in files.values() for c in f["contents"])
    assert {f["category"] for f in files.values()} <= set(Category.values)  # sections are the data map's categories
    assert files["data/search_text.json"]["title"] == "Search contexts and descriptions" and files["data/search_text.json"]["about"]
    assert json.loads(body.read("data/account.json"))["Users"][0]["email"] == BOB

    message = outbox[-1]
    assert message.to == [BOB]
    link = download_link(message)
    issued = IssuedLink.objects.get(object=archive)
    assert issued.expires_at <= timezone.now() + timedelta(hours=1)
    redirect = Client().get(link)
    assert redirect.status_code == 302 and f"/{archive.key}" in redirect["Location"]
    assert int(redirect["Location"].split("X-Amz-Expires=")[1].split("&")[0]) <= 3600

    sweeper.delete_expired(now=archive.deadline + timedelta(seconds=1))  # the hour is over
    archive.refresh_from_db()
    assert archive.deleted_at is not None
    assert "Contents" not in s3.list_objects_v2(Bucket=s3_bucket, Prefix="tmp/exports/")
    assert Client().get(link).status_code == 410


def test_a_new_link_needs_a_new_verification(alice, bob, committed, outbox):
    searches(bob, jobs=1)
    request = approved_export(bob, alice, committed, kind="portability")
    first_archive = request.archive_id
    with committed():
        response = APIClient().post(f"/api/v1/privacy-requests/{request.reference}/reissue/")
    assert response.status_code == 202 and "@" not in response.content.decode()
    assert "/privacy/verify/" in outbox[-1].body
    with committed():
        assert APIClient().post(f"/api/v1/privacy-requests/verify/{token_of(verify_link(outbox[-1]))}/").status_code == 200
    request.refresh_from_db()
    assert request.archive_id != first_archive and "/downloads/" in outbox[-1].body
    erasure_like = file_request(tenant=bob.tenant, kind="erasure", regime="gdpr", email=BOB, source="api")
    refused = APIClient().post(f"/api/v1/privacy-requests/{erasure_like.reference}/reissue/")
    assert refused.json()["code"] == "reissue_not_possible"


def test_the_archive_is_written_in_bounded_chunks(alice, bob):
    searches(bob, jobs=5, results_per_job=1)
    seen = []
    out = io.BytesIO()
    export.CHUNK, old = 2, export.CHUNK
    try:
        export.write_archive(out, tenant=bob.tenant, subject_index=bob.user.email_index, on_rows=seen.append)
    finally:
        export.CHUNK = old
    assert max(seen) <= 2 and sum(seen) == 5 + 5 + 3
    jobs = json.loads(zipfile.ZipFile(out).read("data/search_text.json"))["Search jobs"]
    assert len(jobs) == 5


def test_an_export_of_one_tenant_shows_nothing_of_another(alice, bob, charlie, committed):
    from governance.tenancy.tenants import add_member

    add_member(tenant=charlie.tenant, email=BOB)
    searches(bob, jobs=2)
    request = approved_export(bob, alice, committed)
    archive = zipfile.ZipFile(io.BytesIO(objectstore.read(StoredObject.objects.get(pk=request.archive_id))))
    memberships = json.loads(archive.read("data/account.json"))["Memberships"]
    assert [m["tenant"] for m in memberships] == ["acme"]


def archive_of(bob, **kwargs) -> zipfile.ZipFile:
    out = io.BytesIO()
    export.write_archive(out, tenant=bob.tenant, subject_index=bob.user.email_index, reference="DSR-TEST", **kwargs)
    return zipfile.ZipFile(out)


def test_the_archive_opens_as_a_page_a_person_can_read_offline(alice, bob, settings):
    import re

    from governance.models import TenantRetentionRule

    TenantRetentionRule.objects.create(tenant=bob.tenant, category=Category.SEARCH_TEXT, max_age=timedelta(days=7),
                                       action="delete", enabled=True)
    searches(bob, jobs=2, results_per_job=1)
    archive = archive_of(bob)
    page = archive.read("index.html").decode()
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page) and "<script" not in page  # nothing from outside
    for section_title in ("Your searches", "Your account", "Who receives your data", "Your rights"):
        assert section_title in page
    # Art. 15: purposes, recipients of the terms in force, retention from the live rules, source, complaint.
    assert "To find documents that match your image" in page
    for company in ("Google", "OpenAI", "Anthropic"):
        assert company in page
    assert "Deleted 7 days after it was recorded" in page  # the tenant's rule, not the platform's 30 days
    assert "Deleted 30 days after" in page  # search results keep the platform default
    assert "Where it came from" in page and "complain" in page and "supervisory authority" in page
    assert "context 0" in page and "search.searchjob" not in page
    for member in archive.namelist():  # linked files exist
        assert member in ("index.html", "manifest.json") or f'href="{member}"' in page


def test_the_data_is_indented_json_and_csv_with_real_dates(alice, bob):
    import csv
    from datetime import datetime

    searches(bob, jobs=3, results_per_job=1)
    archive = archive_of(bob)
    text = archive.read("data/search_text.json").decode()
    assert '\n  "Search jobs": [\n    {\n      "id"' in text
    assert len(json.loads(text)["Search jobs"]) == 3
    rows = list(csv.DictReader(io.StringIO(archive.read("data/search_text/search-jobs.csv").decode())))
    assert sorted(r["context"] for r in rows) == ["context 0", "context 1", "context 2"]
    users = list(csv.DictReader(io.StringIO(archive.read("data/account/users.csv").decode())))
    assert users[0]["email"] == BOB
    today = timezone.now().date()
    for info in archive.infolist():
        assert datetime(*info.date_time).date() == today, (info.filename, info.date_time)
    manifest = json.loads(archive.read("manifest.json"))
    assert {r["company"] for r in manifest["recipients"]} == {"Google", "OpenAI", "Anthropic"}
    files = {f["file"]: f for f in manifest["files"]}
    assert files["data/search_text.json"]["information"]["purpose"]
    assert files["data/search_text.json"]["contents"][0]["csv"] == "data/search_text/search-jobs.csv"


def test_every_exported_category_is_explained_in_plain_words():
    from compliance.export_notice import PLAIN

    for entry in export._exported_entries():
        assert entry.category in PLAIN, f"{entry.category} has no plain explanation for the export"
