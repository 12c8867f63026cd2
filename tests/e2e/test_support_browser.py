"""A real browser (Debian chromium via Playwright) through support access, end to end.

Support asks in the admin, the tenant admin follows the e-mailed link and approves with fewer
hours, support reads the description, the grant's time runs out (beat task), support no longer can.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from governance import tasks
from governance.models import AccessRequest, AuditEvent
from tests.governance.support.fixtures import make_job, make_support

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "support-password-1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install -y chromium)"),
]


def recovery_code(user) -> str:
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    return StaticToken.objects.create(device=device, token="recovery0001").token


def submit(page, selector="input[name=_save]"):
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state("load")


def sign_in(browser, base, email, password, code=""):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.fill("#id_otp_token", code)
    submit(page, "input[type=submit]")
    assert page.url == f"{base}/admin/"
    return page


def test_support_asks_admin_approves_support_reads_grant_expires(transactional_db, live_server, alice, bob, settings, monkeypatch):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM is used next to Playwright's event loop
    settings.SITE_URL = live_server.url
    base = live_server.url
    make_support("sam", password=PASSWORD)
    job = make_job(bob, context="CTX-MARKER-falcon", description="DESC-MARKER-gearbox")
    job_page = f"{base}/admin/search/searchjob/{job.pk}/change/"

    with sync_playwright() as p:
        # Inside Playwright's loop the ORM's handles live in another context than outside it, and
        # may be left from an earlier browser test, ended since by a database-outage test: fresh ones.
        connections.close_all()
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            sam = sign_in(browser, base, "sam@support.sightguard.example", PASSWORD)
            sam.goto(job_page)  # no grant: as if the job did not exist
            assert "Not Found" in sam.content() and "DESC-MARKER-gearbox" not in sam.content()

            # support asks
            sam.goto(f"{base}/admin/governance/accessrequest/add/")
            sam.select_option("#id_tenant", label="acme")
            sam.fill("#id_ticket", "SUP-31337")
            sam.select_option("#id_reason_code", "customer_reported_bug")
            sam.fill("#id_reason_text", "The customer says this search got a wrong description.")
            sam.fill("#id_objects", f"search.searchjob:{job.pk}")
            sam.fill("#id_hours", "4")
            submit(sam)
            assert "sent to the tenant" in sam.content()
            request = AccessRequest.objects.get()
            assert request.status == "pending"

            # the tenant admin follows the e-mailed link and approves for fewer hours
            notice = mail.outbox[-1]
            assert notice.to == ["alice@acme.example"]
            link = next(line.split(": ", 1)[1] for line in notice.body.splitlines() if line.startswith("Review it: "))
            # approving support access needs a sign-in with the second factor (a recovery code here)
            admin = sign_in(browser, base, "alice@acme.example", "alice-password-1", recovery_code(alice.user))
            admin.goto(link)
            assert "SUP-31337" in admin.content()
            assert admin.locator("#id_grant_hours").get_attribute("max") == "4"  # at most the hours asked
            admin.fill("#id_grant_hours", "2")
            admin.fill("#id_approve_comment", "Go ahead for this ticket.")
            submit(admin, "#approve-button")
            assert "is now approved" in admin.content()
            request.refresh_from_db()
            assert (request.status, request.hours_granted) == ("approved", 2)

            # support reads the description, and the view is in the tenant's log
            sam.goto(job_page)
            assert sam.locator(".field-content_description .readonly").inner_text() == "DESC-MARKER-gearbox"
            assert "CTX-MARKER-falcon" in sam.content()
            viewed = AuditEvent.objects.get(action="support.content_viewed")
            assert viewed.metadata["ticket"] == "SUP-31337" and viewed.target_id == str(job.pk)
            admin.goto(f"{base}/admin/governance/accessrequest/transparency/")
            assert admin.locator("#events tr.supportcontent_viewed").count() == 1

            # the grant's time runs out; the beat task closes it; support can no longer read
            AccessRequest.objects.filter(pk=request.pk).update(approved_until=timezone.now() - timedelta(seconds=1))
            assert tasks.expire_support_requests.apply().get() == 1
            sam.goto(job_page)  # the engineer reads plainly that the access ended
            assert "ended on" in sam.locator("#access-ended").inner_text()
            assert "DESC-MARKER-gearbox" not in sam.content() and "CTX-MARKER-falcon" not in sam.content()
            assert AccessRequest.objects.get().status == "expired"
            assert AuditEvent.objects.filter(action="support.content_viewed").count() == 1
        finally:
            browser.close()
            # Playwright runs this block in a greenlet with its own context: its database session too.
            connections.close_all()
