"""A real browser (Debian chromium via Playwright): a data subject files requests on the public page,
follows the e-mailed link and the status page; their rows and objects are gone after an erasure, an
export's link and expiry are shown, a denial's reason too. axe-core finds nothing to fix on any of it."""

import os
from datetime import timedelta

import pytest
from django.core import mail

from compliance import review
from compliance.models import DataSubjectRequest, DenialReason
from governance.crypto import blind_index
from governance.models import StoredObject, User
from governance.storage import objectstore
from search.models import SearchJob
from tests.compliance.conftest import searches, verify_link
from tests.e2e.axe import assert_accessible
from tests.e2e.test_consent_browser import CHROMIUM, browser  # noqa: F401  (the same Playwright fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (.ci/run installs it)"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
BOB = "bob@acme.example"


def test_a_subject_erases_their_data_from_the_public_page(live_server, browser, s3_bucket, alice, bob, settings):
    settings.SITE_URL = live_server.url
    jobs = searches(bob, jobs=3, results_per_job=2)
    kept = objectstore.put(purpose=StoredObject.Purpose.RETAINED_IMAGE, data=b"image", content_type="image/jpeg",
                           lifetime=timedelta(days=30), tenant=bob.tenant, subject_index=blind_index(BOB))
    SearchJob.objects.filter(pk=jobs[0].pk).update(retained_image=kept)
    mail.outbox.clear()

    page = browser.new_page()
    page.goto(f"{live_server.url}/privacy/acme/")
    assert "Global Privacy Control" in page.locator("#gpc").inner_text()
    page.check("#kind-erasure")
    page.check("#residence-first")  # the EU
    page.fill("#email", BOB)
    page.click("#submit")
    page.wait_for_selector("[data-status=pending_verification]")
    assert BOB not in page.content()

    page.goto(verify_link(mail.outbox[-1]))
    page.click("#confirm")
    page.wait_for_selector("[data-status=open]")

    request = DataSubjectRequest.objects.get()
    review.approve(request=request, actor=alice.user)  # the tenant's admin approves (tested in the admin elsewhere)

    page.reload()
    page.wait_for_selector("[data-status=fulfilled]")
    assert "Fulfilled" in page.locator("#status").inner_text()
    assert not SearchJob.objects.filter(tenant=bob.tenant).exists()
    assert not User.objects.filter(email_index=blind_index(BOB)).exists()
    assert StoredObject.objects.get(pk=kept.pk).deleted_at is not None
    assert not objectstore.backend().exists(kept.key)
    assert "erased" in mail.outbox[-1].body
    assert "Your data is erased" in page.locator("#next-step").inner_text()


def test_enter_in_the_email_field_files_nothing_and_marks_what_is_missing(live_server, browser, alice):
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(f"{live_server.url}/privacy/acme/")
    assert_accessible(page)
    page.fill("#email", BOB)
    page.press("#email", "Enter")
    page.wait_for_selector("#problems")
    assert not DataSubjectRequest.objects.exists()
    assert page.locator("input[name=kind][aria-invalid=true]").count() == 4
    assert page.locator("input[name=residence][aria-invalid=true]").count() == 3
    assert page.locator("#email").input_value() == BOB
    assert page.locator("#email").get_attribute("aria-invalid") is None
    assert_accessible(page)  # the error state too
    page.click("#problems a >> nth=0")  # the summary's links lead to the field
    assert page.evaluate("document.activeElement.id") == "kind-first"


def test_a_subject_gets_an_export_and_sees_its_link_expiry_and_a_denial_its_reason(live_server, browser, alice, bob,
                                                                                   settings):
    settings.SITE_URL = live_server.url
    searches(bob, jobs=1, results_per_job=1)
    mail.outbox.clear()
    page = browser.new_page()
    page.goto(f"{live_server.url}/privacy/acme/")
    page.check("#kind-first")  # a copy of my data
    page.check("#residence-california")
    page.fill("#email", BOB)
    page.click("#submit")
    page.wait_for_selector("[data-status=pending_verification]")
    assert "open the link we sent you" in page.locator("#next-step").inner_text()
    assert_accessible(page)
    page.goto(verify_link(mail.outbox[-1]))
    page.click("#confirm")
    page.wait_for_selector("[data-status=open]")
    request = DataSubjectRequest.objects.get()
    assert request.regime == "ccpa"
    review.approve(request=request, actor=alice.user)
    page.reload()
    page.wait_for_selector("[data-status=fulfilled]")
    shown = page.locator("#download-link").inner_text()
    assert "works until" in shown and page.locator("#download-link").get_attribute("data-expired") == "false"
    assert "index.html" in page.locator("#next-step").inner_text()
    assert_accessible(page)

    page.goto(f"{live_server.url}/privacy/acme/")
    page.check("#kind-erasure")
    page.check("#residence-first")
    page.fill("#email", "nobody-here@example.com")
    page.click("#submit")
    page.wait_for_selector("[data-status=pending_verification]")
    page.goto(verify_link(mail.outbox[-1]))
    page.click("#confirm")
    page.wait_for_selector("[data-status=open]")
    denied = DataSubjectRequest.objects.get(kind="erasure")
    review.deny(request=denied, actor=alice.user, reason=DenialReason.NO_MATCH)
    page.reload()
    page.wait_for_selector("[data-status=denied]")
    assert page.locator("#denial-reason").inner_text() == "We hold no data about this person"
    assert "complain" in page.locator("#next-step").inner_text()
    assert_accessible(page)
