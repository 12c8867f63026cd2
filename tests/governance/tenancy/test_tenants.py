import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.models import ApiKey, AuditEvent, Membership, StoredObject, Tenant
from governance.tenancy.keys import resolve_key

pytestmark = pytest.mark.django_db


def _last_line(capsys):
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_create_tenant_and_add_member_print_a_working_key_alone(capsys):
    call_command("create_tenant", "initech", "--admin-email", "peter@initech.example")
    admin_key = _last_line(capsys)
    assert re.fullmatch(r"sg_[0-9a-f]{12}_[\w-]{43}", admin_key)
    call_command("add_member", "initech", "--email", "milton@initech.example")
    member_key = _last_line(capsys)
    assert resolve_key(admin_key).tenant.slug == "initech"
    member = resolve_key(member_key)
    assert Membership.objects.get(user=member.user).role == "member"
    stored = ApiKey.objects.get(pk=member.pk)
    assert member_key not in (stored.key_hash, stored.prefix)


def test_commands_refuse_clearly(capsys, acme):
    with pytest.raises(CommandError, match="tenant_exists"):
        call_command("create_tenant", "acme", "--admin-email", "x@acme.example")
    with pytest.raises(CommandError, match="tenant_not_found"):
        call_command("add_member", "nope", "--email", "x@nope.example")
    with pytest.raises(CommandError, match="member_exists"):
        call_command("add_member", "acme", "--email", "ALICE@acme.example")


@pytest.mark.parametrize("slug", ["Bad Slug!", "UPPER", "über", "edge-", "under_score", "", "x" * 51])
def test_create_tenant_refuses_a_bad_slug_and_stores_nothing(slug):
    with pytest.raises(CommandError, match="invalid_slug: A tenant's short name uses"):
        call_command("create_tenant", slug, "--admin-email", "peter@initech.example")
    assert not Tenant.objects.exists() and not AuditEvent.objects.filter(action="tenant.created").exists()


@pytest.mark.parametrize("email", ["notanemail", "a@b", "two@@example.com", ""])
def test_create_tenant_and_add_member_refuse_a_bad_email(email, acme):
    with pytest.raises(CommandError, match="invalid_email"):
        call_command("create_tenant", "initech", "--admin-email", email)
    with pytest.raises(CommandError, match="invalid_email"):
        call_command("add_member", "acme", "--email", email)
    assert not Tenant.objects.filter(slug="initech").exists() and Membership.objects.filter(tenant=acme).count() == 1


def test_the_admin_refuses_a_bad_slug_on_the_field(operator):
    from django.test import Client

    client = Client()
    client.force_login(operator)
    response = client.post("/admin/governance/tenant/add/", {"slug": "Bad Slug!", "name": "Bad", "retain_cleaned_images_days": "0"})
    assert response.status_code == 200 and not Tenant.objects.filter(name="Bad").exists()
    assert "lowercase letters, digits and hyphens" in str(response.context["adminform"].form.errors["slug"])


def test_last_used_time_is_recorded(bob):
    assert ApiKey.objects.get(user=bob.user).last_used_at is None
    bob.api.get("/api/v1/search-jobs/")
    assert ApiKey.objects.get(user=bob.user).last_used_at is not None


def test_a_removed_member_key_stops_working(bob):
    Membership.objects.filter(pk=bob.membership.pk).delete()
    assert bob.api.get("/api/v1/search-jobs/").status_code == 401


# --- the Django admin, scoped by the same helper -----------------------------------------------


def _login(client, email, password):
    assert client.login(username=email, password=password)
    return client


def test_tenant_admin_sees_only_their_tenants_rows_in_the_admin(client, alice, charlie):
    _login(client, "alice@acme.example", "alice-password-1")
    page = client.get("/admin/governance/auditevent/")
    assert page.status_code == 200
    ids = set(AuditEvent.objects.filter(tenant=alice.tenant).values_list("id", flat=True))
    foreign = set(AuditEvent.objects.filter(tenant=charlie.tenant).values_list("id", flat=True))
    shown = {int(i) for i in re.findall(r'/admin/governance/auditevent/(\d+)/change/', page.content.decode())}
    assert shown and shown <= ids and not shown & foreign

    other = AuditEvent.objects.filter(tenant=charlie.tenant).first()
    assert client.get(f"/admin/governance/auditevent/{other.pk}/change/").status_code == 404
    tenants = client.get("/admin/governance/tenant/").content.decode()
    assert "acme" in tenants and "globex" not in tenants
    assert client.get(f"/admin/governance/tenant/{charlie.tenant.pk}/change/").status_code == 404
    assert client.get("/admin/governance/user/").status_code == 403


def test_a_member_cannot_use_the_admin(client, bob):
    bob.user.set_password("bob-password-1")
    bob.user.save()
    assert not client.login(username="bob@acme.example", password="bob-password-1") or client.get("/admin/").status_code == 302


def test_the_operator_manages_tenants_but_not_content(client, operator, bob, django_capture_on_commit_callbacks):
    import io

    from tests.conftest import make_jpeg

    image = io.BytesIO(make_jpeg())
    image.name = "x.jpg"
    with django_capture_on_commit_callbacks(execute=True):
        job_id = bob.api.post("/api/v1/search-jobs/", {"image": image, "context": "secret falcon"}, format="multipart").json()["id"]
    _login(client, "ops@sightguard.example", "operator-password-1")
    assert client.get("/admin/governance/tenant/add/").status_code == 200
    page = client.get(f"/admin/search/searchjob/{job_id}/change/").content.decode()
    assert "falcon" not in page and "blue" not in page


def test_stored_objects_and_tenants_from_another_tenant_never_show(client, alice, dave, django_capture_on_commit_callbacks):
    import io

    from tests.conftest import make_jpeg

    image = io.BytesIO(make_jpeg())
    image.name = "x.jpg"
    dave.api.post("/api/v1/search-jobs/", {"image": image}, format="multipart")
    obj = StoredObject.objects.get()
    _login(client, "alice@acme.example", "alice-password-1")
    assert obj.key not in client.get("/admin/governance/storedobject/").content.decode()
    assert Tenant.objects.count() == 2


def test_the_admin_greets_a_user_by_their_own_email_not_the_blind_index(client, alice):
    _login(client, "alice@acme.example", "alice-password-1")
    page = client.get("/admin/").content.decode()
    assert "alice@acme.example" in page
    assert alice.user.email_index not in page
