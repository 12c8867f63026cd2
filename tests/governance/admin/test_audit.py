"""The audit log page in the admin: a tenant admin sees and downloads their tenant's log only."""

import json

import pytest
from django.test import Client

from governance import audit
from governance.models import AuditEvent

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_tenant_admin_sees_the_signed_checkpoint_and_downloads_log_and_proofs(alice):
    event = audit.record(action="test.marker", tenant=alice.tenant)
    client = logged_in(alice.user)
    page = client.get("/admin/governance/auditevent/log/")
    assert page.status_code == 200
    html = page.content.decode()
    log = audit.log_for(tenant=alice.tenant)
    assert log.origin in html and audit.verifier_key() in html
    checkpoint = json.loads(client.get("/admin/governance/auditevent/log/checkpoint/").content)
    assert checkpoint["origin"] == log.origin and checkpoint["tree_size"] == log.size
    export = b"".join(client.get("/admin/governance/auditevent/log/export/").streaming_content)
    assert b"test.marker" in export
    proof = json.loads(client.get(f"/admin/governance/auditevent/{event.pk}/proof/").content)
    assert json.loads(proof["entry"])["id"] == event.pk
    response = client.get(f"/admin/governance/auditevent/log/consistency/?old=1&new={log.size}")
    assert response.status_code == 200 and json.loads(response.content)["new_size"] == log.size
    assert client.get("/admin/governance/auditevent/log/verifier/").status_code == 200


def test_an_admin_of_another_tenant_gets_404_for_this_tenants_log_and_events(alice, charlie):
    event = audit.record(action="test.acme_only", tenant=alice.tenant)
    audit.record(action="test.globex", tenant=charlie.tenant)
    client = logged_in(charlie.user)
    acme = alice.tenant.pk
    for url in ("log/", "log/checkpoint/", "log/export/", "log/consistency/?old=1&new=1"):
        joiner = "&" if "?" in url else "?"
        assert client.get(f"/admin/governance/auditevent/{url}{joiner}tenant={acme}").status_code == 404, url
    assert client.get(f"/admin/governance/auditevent/{event.pk}/proof/").status_code == 404
    export = b"".join(client.get("/admin/governance/auditevent/log/export/").streaming_content)
    assert b"test.acme_only" not in export and b"test.globex" in export
    assert not client.get("/admin/governance/auditevent/").context["cl"].queryset.filter(pk=event.pk).exists()


def test_a_member_cannot_open_the_log_page(bob):
    audit.record(action="test", tenant=bob.tenant)
    client = logged_in(bob.user)
    assert client.get("/admin/governance/auditevent/log/").status_code in (302, 403, 404)
    assert client.get("/admin/governance/auditevent/log/export/").status_code in (302, 403, 404)
    assert AuditEvent.objects.exists()
