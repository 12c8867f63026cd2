"""Links: presigned links capped at an hour, app download links, SSE on every put, configure_bucket."""

from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlparse
from urllib.request import urlopen

import boto3
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from governance.models import AuditEvent, IssuedLink, StoredObject
from governance.storage import objectstore

pytestmark = pytest.mark.django_db


def _put(tenant, purpose=StoredObject.Purpose.EXPORT_ARCHIVE, data=b"archive bytes"):
    return objectstore.put(purpose=purpose, data=data, content_type="application/zip", lifetime=timedelta(hours=1), tenant=tenant)


def test_every_put_is_encrypted_at_rest(s3_bucket, acme):
    obj = _put(acme)
    head = boto3.client("s3", endpoint_url=objectstore.backend().client.meta.endpoint_url, region_name="us-east-1").head_object(
        Bucket=s3_bucket, Key=obj.key
    )
    assert head["ServerSideEncryption"] == "AES256"


@pytest.mark.parametrize("asked", [60, 3600, 86400, 7 * 86400])
def test_presigned_links_never_live_past_an_hour_and_are_recorded(s3_bucket, acme, alice, asked):
    obj = _put(acme)
    url = objectstore.link(obj, actor=alice.user, seconds=asked)
    expires = int(parse_qs(urlparse(url).query)["X-Amz-Expires"][0])
    assert expires == min(asked, 3600)
    issued = IssuedLink.objects.get()
    assert issued.actor == f"user:{alice.user.pk}" and issued.object == obj
    assert timedelta(0) < issued.expires_at - timezone.now() <= timedelta(seconds=min(asked, 3600))
    event = AuditEvent.objects.get(action="object.link_issued")
    assert event.metadata["seconds"] == min(asked, 3600) and event.tenant_id == acme.pk
    assert urlopen(url).read() == b"archive bytes"  # a real presigned GET against the S3 endpoint


def test_the_app_link_redirects_to_a_fresh_short_presigned_url(s3_bucket, acme, alice, client, settings):
    obj = _put(acme)
    link = objectstore.issue_download(obj, actor=alice.user)
    assert link.expires_at <= timezone.now() + timedelta(hours=1)
    path = urlparse(link.url).path
    first, second = client.get(path), client.get(path)
    assert first.status_code == second.status_code == 302
    query = parse_qs(urlparse(first["Location"]).query)
    assert int(query["X-Amz-Expires"][0]) <= settings.DOWNLOAD_REDIRECT_SECONDS
    assert urlopen(first["Location"]).read() == b"archive bytes"
    assert first["Referrer-Policy"] == "no-referrer" and first["Cache-Control"] == "no-store"
    # Who, what, until when: the app link, then one presigned link per visit, each audited.
    links = list(IssuedLink.objects.order_by("pk"))
    assert len(links) == 3 and links[0].actor == f"user:{alice.user.pk}"
    assert links[1].actor == links[2].actor == f"issuedlink:{links[0].pk}"
    assert AuditEvent.objects.filter(action="object.link_issued").count() == 2


def test_an_expired_app_link_is_gone(acme, alice, client):
    obj = _put(acme)
    path = urlparse(objectstore.issue_download(obj, actor=alice.user).url).path
    IssuedLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # its hour is over
    response = client.get(path)
    assert (response.status_code, response.json()["code"]) == (410, "link_expired")


def test_an_app_link_to_a_deleted_object_is_gone(acme, alice, client):
    obj = _put(acme)
    path = urlparse(objectstore.issue_download(obj, actor=alice.user).url).path
    objectstore.delete(obj, reason="test")
    assert client.get(path).status_code == 410


def test_an_old_token_is_refused_by_its_signature_age(acme, alice, client, settings):
    obj = _put(acme)
    path = urlparse(objectstore.issue_download(obj, actor=alice.user).url).path
    settings.MAX_LINK_SECONDS = -1  # every token is now older than allowed
    assert client.get(path).status_code == 410


def test_a_forged_token_is_a_404(client, acme):
    response = client.get("/downloads/eyJsIjoxfQ:1vxyz:forged")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_app_link_never_outlives_its_object(acme, alice):
    obj = objectstore.put(
        purpose=StoredObject.Purpose.SUPPORT_VIEW, data=b"x", content_type="text/plain", lifetime=timedelta(minutes=5), tenant=acme
    )
    assert objectstore.issue_download(obj, actor=alice.user).expires_at == obj.deadline


def test_the_object_behind_a_temporary_link_is_deleted_when_its_hour_is_over(s3_bucket, acme, alice, client):
    from governance.storage import sweeper

    obj = _put(acme, data=b"export")
    path = urlparse(objectstore.issue_download(obj, actor=alice.user).url).path
    assert sweeper.sweep(now=timezone.now() + timedelta(minutes=61)).expired_deleted == 1
    assert list(objectstore.backend().list_keys("tmp/")) == []
    assert client.get(path).status_code == 410


# --- configure_bucket --------------------------------------------------------------------------

def test_configure_bucket_sets_the_lifecycle_backstop_and_default_encryption(s3_bucket):
    client = objectstore.backend().client
    client.put_bucket_lifecycle_configuration(
        Bucket=s3_bucket,
        LifecycleConfiguration={"Rules": [{"ID": "theirs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}}]},
    )
    out = StringIO()
    call_command("configure_bucket", stdout=out)
    call_command("configure_bucket", stdout=out)  # idempotent: each rule of ours once
    rules = {r["ID"]: r for r in client.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"]}
    assert set(rules) == {"theirs", "sightguard-temporary-objects-backstop", "sightguard-noncurrent-versions"}
    ours = rules["sightguard-temporary-objects-backstop"]
    assert ours["Filter"]["Prefix"] == "tmp/" and ours["Expiration"]["Days"] == 1 and ours["Status"] == "Enabled"
    encryption = client.get_bucket_encryption(Bucket=s3_bucket)["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "expire after 1 day" in out.getvalue()


def test_configure_bucket_can_create_the_bucket(s3_server, settings):
    settings.S3_BUCKET, settings.S3_ENDPOINT_URL, settings.S3_REGION = "sg-created-by-command", s3_server, "us-east-1"
    objectstore._backend_for.cache_clear()
    with pytest.raises(CommandError, match="--create"):
        call_command("configure_bucket")
    call_command("configure_bucket", "--create", stdout=StringIO())
    assert objectstore.backend().client.get_bucket_lifecycle_configuration(Bucket="sg-created-by-command")["Rules"]


def test_configure_bucket_refuses_without_a_bucket():
    with pytest.raises(CommandError, match="S3_BUCKET is not set"):
        call_command("configure_bucket")
