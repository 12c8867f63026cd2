"""Offboarding a tenant: every row and every object version gone, the law's records kept anonymised,
a certificate verified by listing versions and hashed into the audit log; holds refuse; twice is harmless."""

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from compliance.models import DataSubjectRequest
from compliance.requests import file_request
from governance import consent
from governance.audit import verify_chain
from governance.crypto import blind_index
from governance.models import ApiKey, AuditEvent, ConsentRecord, Membership, StoredObject, Tenant, User
from governance.retention import holds
from governance.storage import objectstore
from governance.tenancy import offboarding
from search.models import SearchJob, SearchResult
from tests.compliance.conftest import searches

pytestmark = pytest.mark.django_db


@pytest.fixture
def versioned(s3_bucket):
    objectstore.backend().client.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    return s3_bucket


def versions(bucket, prefix=""):
    listing = objectstore.backend().client.list_object_versions(Bucket=bucket, Prefix=prefix)
    return [v["Key"] for v in listing.get("Versions", []) + listing.get("DeleteMarkers", [])]


def populate(actor):
    searches(actor, jobs=3, results_per_job=2)
    for purpose in (StoredObject.Purpose.RETAINED_IMAGE, StoredObject.Purpose.TRANSIENT_IMAGE):
        obj = objectstore.put(purpose=purpose, data=b"pixels", content_type="image/jpeg", lifetime=timedelta(hours=1),
                              tenant=actor.tenant, subject_index=actor.user.email_index)
        objectstore.replace(obj, data=b"blurred", content_type="image/jpeg")
    client = objectstore.backend().client
    client.put_object(Bucket=objectstore.backend().bucket, Key=f"retained/images/{actor.tenant.pk}/unrecorded", Body=b"x")
    client.delete_object(Bucket=objectstore.backend().bucket, Key=f"retained/images/{actor.tenant.pk}/unrecorded")


def test_offboarding_deletes_every_row_and_version_and_certifies_it(versioned, alice, bob, dave):
    populate(bob)
    populate(dave)
    consent.accept(tenant=alice.tenant, version="1.0", actor=alice.user)
    request = file_request(tenant=alice.tenant, kind="access", regime="gdpr", email="erin@example.com", source="api")
    acme = alice.tenant.pk
    preview = offboarding.inventory(slug="acme")
    assert preview["rows_deleted"]["search.searchjob"] == 3 and preview["live_objects"] == 2

    out = StringIO()
    call_command("offboard_tenant", "acme", stdout=out)
    certificate = json.loads(out.getvalue())

    assert not SearchJob.objects.filter(tenant_id=acme).exists() and not SearchResult.objects.filter(tenant_id=acme).exists()
    assert not Membership.objects.filter(tenant_id=acme).exists() and not StoredObject.objects.filter(tenant_id=acme).exists()
    assert not User.objects.filter(email_index__in=[blind_index("alice@acme.example"), blind_index("bob@acme.example")]).exists()
    assert not ApiKey.objects.filter(user_id__in=[alice.user.pk, bob.user.pk]).exists()
    assert [k for k in versions(versioned) if f"/{acme}/" in k] == []
    assert SearchJob.objects.filter(tenant=dave.tenant).count() == 3  # another tenant untouched
    assert len([k for k in versions(versioned) if f"/{dave.tenant.pk}/" in k]) == 4

    kept = DataSubjectRequest.objects.get(pk=request.pk)
    assert kept.email == "" and ConsentRecord.objects.get(tenant_id=acme).accepted_by_id is None
    assert certificate["rows_deleted"]["search.searchjob"] == 3 and certificate["rows_deleted"]["governance.user"] == 2
    assert set(certificate["rows_kept"]) >= {"compliance.datasubjectrequest", "governance.consentrecord", "governance.auditevent"}
    assert certificate["object_versions_deleted"][f"retained/images/{acme}/"] == 3  # object, its marker'd orphan x2
    assert all(certificate["bucket_folders_verified_empty"].values())

    event = AuditEvent.objects.get(action="tenant.offboarded")
    stored = objectstore.backend().get(event.metadata["certificate"])
    assert hashlib.sha256(stored).hexdigest() == event.metadata["certificate_sha256"]
    assert json.loads(stored) == certificate
    text = stored.decode() + json.dumps(event.metadata)
    assert "@" not in text and "Acme" not in text and "erin" not in text
    assert verify_chain().ok

    again = StringIO()
    call_command("offboard_tenant", "acme", stdout=again)  # harmless: the same certificate, nothing new
    assert json.loads(again.getvalue()) == certificate
    assert AuditEvent.objects.filter(action="tenant.offboarded").count() == 1
    assert Tenant.objects.get(pk=acme).name == ""


def test_a_legal_hold_refuses_offboarding_and_nothing_is_touched(alice, bob):
    searches(bob, jobs=1)
    holds.set_hold(tenant=bob.tenant, scope="subject", reason="litigation", subject_email="bob@acme.example",
                   actor=alice.user)
    with pytest.raises(CommandError, match="legal_hold"):
        call_command("offboard_tenant", "acme")
    assert SearchJob.objects.filter(tenant=bob.tenant).count() == 1 and Membership.objects.filter(tenant=bob.tenant).count() == 2


def test_an_unknown_tenant_is_a_clear_error(db):
    with pytest.raises(CommandError, match="tenant_unknown"):
        call_command("offboard_tenant", "nobody")


def test_the_operator_offboards_from_the_admin_after_a_confirmation_page(client, operator, alice, bob):
    searches(bob, jobs=2)
    url = f"/admin/governance/tenant/{alice.tenant.pk}/offboard/"
    client.force_login(alice.user)  # a tenant admin may not
    assert client.get(url).status_code in (302, 403)
    client.force_login(operator)
    page = client.get(url)
    assert page.status_code == 200 and b"search.searchjob" in page.content and b"2 rows" in page.content
    wrong = client.post(url, {"confirm_slug": "acm"})
    assert b"Type the tenant" in wrong.content and SearchJob.objects.count() == 2
    done = client.post(url, {"confirm_slug": "acme"})
    assert b'id="offboarded"' in done.content and not SearchJob.objects.exists()
    assert AuditEvent.objects.get(action="tenant.offboarded").actor != ""
