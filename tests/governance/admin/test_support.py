"""The support-access admin: asking, deciding, the transparency page, and what support reaches."""

import re

import pytest
from django.core import mail
from django.test import Client

from governance.models import AccessRequest, AuditEvent, IssuedLink
from governance.support import grants
from tests.governance.support.fixtures import ask, grant, make_archive, make_job, sam  # noqa: F401

pytestmark = pytest.mark.django_db

ADD = "/admin/governance/accessrequest/add/"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def change_url(request):
    return f"/admin/governance/accessrequest/{request.pk}/change/"


def decide_url(request):
    return f"/admin/governance/accessrequest/{request.pk}/decide/"


@pytest.fixture
def job(bob):
    return make_job(bob, context="CTX-falcon", description="DESC-gearbox")


def test_support_asks_in_the_admin_and_the_tenant_admin_is_mailed(sam, alice, job, django_capture_on_commit_callbacks):
    client = logged_in(sam)
    assert client.get(ADD).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, {
            "tenant": alice.tenant.pk, "ticket": "SUP-4242", "reason_code": "customer_reported_bug",
            "reason_text": "wrong description", "categories": ["transient_images"], "objects": f"search.searchjob:{job.pk}",
            "hours": "3",
        })  # fmt: skip
    request = AccessRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == change_url(request)
    assert (request.requester_id, request.ticket, request.hours_requested, request.status) == (sam.pk, "SUP-4242", 3, "pending")
    assert request.scope_categories == ["transient_images"] and request.scope_objects == [{"type": "search.searchjob", "id": str(job.pk)}]
    assert [m.to for m in mail.outbox] == [["alice@acme.example"]]
    # support sees its own request but cannot decide it
    page = client.get(change_url(request)).content.decode()
    assert "SUP-4242" in page and 'name="decision"' not in page


def test_a_refused_request_shows_the_reason_and_saves_nothing(sam, acme):
    response = logged_in(sam).post(ADD, {
        "tenant": acme.pk, "ticket": "SUP-1", "reason_code": "customer_reported_bug", "reason_text": "x", "hours": "3",
    }, follow=True)  # fmt: skip
    assert "scope_empty" in response.content.decode()
    assert not AccessRequest.objects.exists()
    over = logged_in(sam).post(ADD, {"tenant": acme.pk, "ticket": "SUP-1", "reason_code": "customer_reported_bug",
                                     "reason_text": "x", "hours": "9", "categories": ["transient_images"]})  # fmt: skip
    assert over.status_code == 200 and not AccessRequest.objects.exists()  # form error: at most 8 hours


def test_only_support_staff_get_the_add_form(alice, operator, acme):
    for user in (alice.user, operator):
        assert logged_in(user).get(ADD).status_code == 403


def test_the_tenant_admin_approves_with_fewer_hours_in_the_admin(sam, alice, job):
    request = ask(sam, alice.tenant, objects=[job], hours=4)
    client = logged_in(alice.user)
    page = client.get(change_url(request)).content.decode()
    assert 'name="decision"' in page and "SUP-1001" in page
    client.post(decide_url(request), {"decision": "approve", "grant_hours": "2", "comment": "go ahead"})
    request.refresh_from_db()
    assert (request.status, request.hours_granted, request.decided_by_id) == ("approved", 2, alice.user.pk)
    assert AuditEvent.objects.filter(action="support.approved", target_id=str(request.pk)).exists()


def test_the_operator_and_another_tenants_admin_cannot_decide(sam, alice, charlie, operator, job):
    request = ask(sam, alice.tenant, objects=[job])
    operator_client = logged_in(operator)
    assert 'name="decision"' not in operator_client.get(change_url(request)).content.decode()
    assert operator_client.post(decide_url(request), {"decision": "approve"}).status_code == 403
    charlie_client = logged_in(charlie.user)
    assert charlie_client.get(change_url(request)).status_code == 404  # as if it did not exist
    assert charlie_client.post(decide_url(request), {"decision": "approve"}).status_code == 404
    assert "SUP-1001" not in charlie_client.get("/admin/governance/accessrequest/").content.decode()
    assert AccessRequest.objects.get().status == "pending"


def test_an_over_long_approval_is_refused_with_its_code(sam, alice, job):
    request = ask(sam, alice.tenant, objects=[job], hours=2)
    response = logged_in(alice.user).post(decide_url(request), {"decision": "approve", "grant_hours": "3"}, follow=True)
    assert "invalid_duration" in response.content.decode()
    assert AccessRequest.objects.get().status == "pending"


def test_the_tenant_admin_revokes_in_the_admin(sam, alice, job):
    request = grant(sam, alice, objects=[job])
    logged_in(alice.user).post(decide_url(request), {"decision": "revoke", "comment": "done"})
    assert AccessRequest.objects.get().status == "revoked"
    ended = logged_in(sam).get(f"/admin/search/searchjob/{job.pk}/change/")
    page = ended.content.decode()
    assert ended.status_code == 403 and "was ended by the tenant's admin" in page and "SUP-" in page
    assert "DESC-gearbox" not in page and "CTX-falcon" not in page
    # a row the grant never covered is still a plain 404: nothing confirms it exists
    assert logged_in(sam).get("/admin/search/searchjob/00000000-0000-0000-0000-000000000000/change/").status_code == 404


def test_support_reaches_only_covered_rows_and_list_pages_show_no_content(sam, alice, bob, dave, job):
    other = make_job(bob, context="CTX-other", description="DESC-other")
    foreign = make_job(dave, context="CTX-foreign", description="DESC-foreign")
    client = logged_in(sam)
    assert str(job.pk) not in client.get("/admin/search/searchjob/").content.decode()
    grant(sam, alice, objects=[job])
    listing = client.get("/admin/search/searchjob/").content.decode()
    assert str(job.pk) in listing and str(other.pk) not in listing and str(foreign.pk) not in listing
    assert "DESC-gearbox" not in listing and "CTX-falcon" not in listing
    assert client.get(f"/admin/search/searchjob/{other.pk}/change/").status_code == 404
    for page in ("/admin/governance/auditevent/", "/admin/governance/apikey/", "/admin/governance/membership/",
                 "/admin/search/usageevent/", "/admin/governance/supportstaff/", "/admin/governance/tenant/",
                 "/admin/governance/user/"):  # fmt: skip
        assert client.get(page).status_code == 403, page
    page = client.get(f"/admin/search/searchjob/{job.pk}/change/").content.decode()
    assert "DESC-gearbox" in page and "CTX-falcon" in page


def test_an_image_under_a_grant_is_a_link_of_at_most_an_hour_that_works(sam, alice, job, settings):
    grant(sam, alice, objects=[job], hours=1)
    page = logged_in(sam).get(f"/admin/search/searchjob/{job.pk}/change/").content.decode()
    url = re.search(r'href="([^"]*/objects/local/[^"]+)"', page).group(1)
    issued = IssuedLink.objects.get(object=job.image)
    assert issued.actor == f"user:{sam.pk}"
    assert 3500 < (issued.expires_at - issued.created_at).total_seconds() <= 3600
    data = Client().get(url.replace(settings.SITE_URL, "")).content
    assert data[:2] == b"\xff\xd8"  # the image's JPEG bytes


def test_the_link_never_outlives_the_grant(sam, alice, acme):
    from datetime import timedelta

    from django.utils import timezone

    archive = make_archive(acme, b"zz")
    request = grant(sam, alice, objects=[archive])
    AccessRequest.objects.filter(pk=request.pk).update(approved_until=timezone.now() + timedelta(minutes=10))
    logged_in(sam).get(f"/admin/governance/storedobject/{archive.pk}/change/")
    issued = IssuedLink.objects.get(object=archive)
    assert (issued.expires_at - issued.created_at).total_seconds() <= 600


def test_the_transparency_page_lists_requests_decisions_and_each_access(sam, alice, charlie, job):
    request = grant(sam, alice, objects=[job], ticket="SUP-9")
    logged_in(sam).get(f"/admin/search/searchjob/{job.pk}/change/")
    logged_in(sam).get(f"/admin/search/searchjob/{job.pk}/change/")
    page = logged_in(alice.user).get("/admin/governance/accessrequest/transparency/").content.decode()
    assert "SUP-9" in page and "sam@support.sightguard.example" in page
    assert page.count("support.content_viewed") == 2 and "support.approved" in page and "support.requested" in page
    assert "DESC-gearbox" not in page
    detail = logged_in(alice.user).get(change_url(request)).content.decode()
    assert detail.count(f"search.searchjob {job.pk}") >= 2  # each access listed under the request
    # another tenant's admin sees none of it
    other = logged_in(charlie.user).get("/admin/governance/accessrequest/transparency/").content.decode()
    assert "SUP-9" not in other and "support.content_viewed" not in other


def test_support_without_a_grant_gets_no_transparency_page(sam, alice, job):
    response = logged_in(sam).get("/admin/governance/accessrequest/transparency/")
    assert response.status_code == 302


def test_a_tenant_admin_who_is_also_support_keeps_their_own_rows(alice, bob, dave, charlie, job):
    both = grants.add_support_staff(email="alice@acme.example")
    foreign = make_job(dave, context="CTX-globex", description="DESC-globex")
    client = logged_in(both)
    listing = client.get("/admin/search/searchjob/").content.decode()
    assert str(job.pk) in listing and str(foreign.pk) not in listing
    assert "DESC-gearbox" in client.get(f"/admin/search/searchjob/{job.pk}/change/").content.decode()
    assert client.get(f"/admin/search/searchjob/{foreign.pk}/change/").status_code == 404
    grant(both, charlie, objects=[foreign], ticket="SUP-G")
    listing = client.get("/admin/search/searchjob/").content.decode()
    assert str(job.pk) in listing and str(foreign.pk) in listing
    assert "DESC-globex" in client.get(f"/admin/search/searchjob/{foreign.pk}/change/").content.decode()
    assert client.get("/admin/governance/auditevent/").status_code == 200  # still acme's admin
    assert AuditEvent.objects.filter(action="support.content_viewed", tenant_id=charlie.tenant.pk).count() == 1
    assert not AuditEvent.objects.filter(action="support.content_viewed", tenant_id=alice.tenant.pk).exists()


def test_a_short_link_dies_at_its_own_time(acme, settings):
    import time

    from governance.storage import objectstore

    archive = make_archive(acme, b"zz")
    url = objectstore.link(archive, actor="system", seconds=1).replace(settings.SITE_URL, "")
    assert Client().get(url).status_code == 200
    time.sleep(2.1)
    assert Client().get(url).status_code == 404


def test_the_transparency_page_of_another_or_no_tenant_is_a_404(sam, alice, charlie, job):
    ask(sam, alice.tenant, objects=[job])
    page = "/admin/governance/accessrequest/transparency/"
    assert "SUP-1001" in logged_in(alice.user).get(page, {"tenant": alice.tenant.pk}).content.decode()
    assert logged_in(alice.user).get(page, {"tenant": charlie.tenant.pk}).status_code == 404
    assert logged_in(alice.user).get(page, {"tenant": 999999}).status_code == 404
    assert logged_in(charlie.user).get(page, {"tenant": alice.tenant.pk}).status_code == 404
    assert "SUP-1001" not in logged_in(charlie.user).get(page).content.decode()
