"""A real browser (Debian chromium via Playwright) through the tenant admin's console: the
dashboard (axe-core: no violations; fits 1280 px), an erasure previewed then confirmed from the
queue, a support request approved for fewer hours than asked. Screenshots of the dashboard and the
erasure preview go to SIGHTGUARD_SCREENS (when set)."""

import os
from pathlib import Path

import pytest

from compliance.models import DataSubjectRequest
from compliance.requests import file_request
from governance.models import AccessRequest, StoredObject, Tenant
from search.models import SearchJob
from tests.e2e.axe import describe, violations
from tests.e2e.test_support_browser import ARGS, CHROMIUM, recovery_code, sign_in, submit
from tests.governance.support.fixtures import ask, make_job, make_support

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (apt-get install -y chromium)"),
]
SCREENS = os.environ.get("SIGHTGUARD_SCREENS", "")


def shot(page, name):
    if SCREENS:
        Path(SCREENS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENS) / name), full_page=True)


def fits(page, width=1280) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_tenant_admin_works_from_the_console(transactional_db, live_server, alice, bob, settings, monkeypatch):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.SITE_URL = base = live_server.url
    Tenant.objects.filter(pk=alice.tenant.pk).update(retain_cleaned_images_days=30)  # cleaned images are kept
    alice.tenant.refresh_from_db()
    for n in range(3):
        make_job(bob, context=f"CTX-MARKER-{n}", description=f"DESC-MARKER-{n}")
    erasure = file_request(tenant=alice.tenant, kind="erasure", regime="gdpr", email="bob@acme.example", source="form",
                           verified=True)
    other = file_request(tenant=alice.tenant, kind="access", regime="gdpr", email="nobody@example.com", source="form",
                         verified=True)
    sam = make_support("sam")
    support = ask(sam, alice.tenant, categories=["search_text"], hours=6, ticket="SUP-2024")

    with sync_playwright() as p:
        # Inside Playwright's loop the ORM's handles live in another context than outside it, and
        # may be left from an earlier browser test, ended since by a database-outage test: fresh ones.
        connections.close_all()
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = sign_in(browser, base, "alice@acme.example", "alice-password-1", recovery_code(alice.user))
            page.set_viewport_size({"width": 1280, "height": 900})
            page.goto(f"{base}/admin/")
            console = page.locator("#console")
            assert "Not accepted yet" in console.locator("#panel-consent").inner_text()
            assert console.locator("#queue-to-review").inner_text() == "2"
            assert "SUP-2024" in console.locator("#panel-support").inner_text()
            assert page.locator("text=Drp agents").count() == 0 and page.locator("text=Retention policies").count() == 0
            found = violations(page)
            assert found == [], describe(found)
            assert fits(page)
            shot(page, "dashboard.png")

            # the erasure: from the queue to the request page, Approve…, the preview, then the confirmation
            page.click(f"#panel-requests a:has-text('{erasure.reference}')")
            page.wait_for_selector("#decision")
            page.click("#approve-button")
            page.wait_for_selector("#approve-preview")
            rows = page.locator(".preview-categories tr.category-search_text td.count").first.inner_text()
            assert rows == "3"
            kept = StoredObject.objects.filter(tenant=alice.tenant, deleted_at__isnull=True, key__startswith="retained/images/")
            assert kept.count() == 3
            assert "retained/images/\t3" in page.locator(".preview-objects").inner_text()
            assert DataSubjectRequest.objects.get(pk=erasure.pk).status == "open"  # nothing ran yet
            found = violations(page)
            assert found == [], describe(found)
            shot(page, "erasure-preview.png")
            submit(page, "#confirm-approve")
            assert "approved: the work has started" in page.locator(".messagelist").inner_text()
            assert DataSubjectRequest.objects.get(pk=erasure.pk).status == "fulfilled"
            assert not SearchJob.objects.filter(created_by=bob.user).exists() and not kept.exists()

            # a denial: the reason chosen on the request's page, not on the list
            page.goto(f"{base}/admin/compliance/datasubjectrequest/{other.pk}/change/")
            page.select_option("#id_denial_reason", "no_match")
            page.fill("#id_reason_text", "We hold nothing under that address.")
            submit(page, "#deny-button")
            assert "denied; the requester is told why" in page.locator(".messagelist").inner_text()
            assert DataSubjectRequest.objects.get(pk=other.pk).status == "denied"

            # support: from the console to the request, approve for fewer hours than asked
            page.goto(f"{base}/admin/")
            page.click("#panel-support a:has-text('SUP-2024')")
            assert page.locator("#id_grant_hours").get_attribute("max") == "6"
            page.fill("#id_grant_hours", "2")
            submit(page, "#approve-button")
            assert "is now approved" in page.locator(".messagelist").inner_text()
            support.refresh_from_db()
            assert (support.status, support.hours_granted) == (AccessRequest.Status.APPROVED, 2)
            page.goto(f"{base}/admin/governance/accessrequest/transparency/")
            assert fits(page)
        finally:
            browser.close()
            connections.close_all()
