"""A real browser (Debian chromium via Playwright) against a live server: a tenant admin signs in to
the Django admin, reads the terms and accepts them; a member cannot reach that page."""

import os

import pytest

from governance.models import AuditEvent, ConsentRecord

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (.ci/run installs it)"),
    # The live server needs committed rows; restore the shipped terms version for later tests.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser(monkeypatch):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        # Inside Playwright's loop the ORM's handles live in another context than outside it, and
        # may be left from an earlier browser test, ended since by a database-outage test: fresh ones.
        connections.close_all()
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(page, base, email, password):
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")


def test_a_tenant_admin_reads_the_terms_and_accepts(live_server, browser, alice):
    page = browser.new_page()
    sign_in(page, live_server.url, "alice@acme.example", "alice-password-1")
    page.click("#panel-consent >> text=Read and accept the terms")  # from the dashboard
    assert page.locator("#terms-text").inner_text().startswith("Sightguard generative-AI terms, version 1.0")
    assert page.locator("#subprocessors tbody tr").count() == 3
    assert page.locator("[data-status]").inner_text() == "Not accepted yet"

    page.click("#accept-button")  # the box is not ticked: the browser itself refuses to submit
    assert not ConsentRecord.objects.exists()
    page.check("#confirm-accept")
    page.click("#accept-button")
    page.wait_for_selector("[data-status=accepted]")
    assert page.locator("#providers-covered").inner_text() == "anthropic, gemini, openai"
    record = ConsentRecord.objects.get()
    assert (record.tenant_id, record.accepted_by_id, record.terms.version) == (alice.tenant.pk, alice.user.pk, "1.0")
    assert AuditEvent.objects.filter(action="consent.accepted").count() == 1


def test_a_member_cannot_reach_the_terms_page(live_server, browser, bob):
    bob.user.set_password("bob-password-1234")
    bob.user.save()
    page = browser.new_page()
    sign_in(page, live_server.url, "bob@acme.example", "bob-password-1234")
    assert "/admin/login/" in page.url  # members are not staff: the admin keeps them at its door
    page.goto(f"{live_server.url}/admin/governance/consentoverview/")
    assert "/admin/login/" in page.url
    assert page.locator("#terms-text").count() == 0
    assert not ConsentRecord.objects.exists()
