"""A real browser (Debian chromium via Playwright): a data subject files an erasure request on the
public page, follows the e-mailed link, and sees the request completed; their rows and objects are gone."""

import os
from datetime import timedelta

import pytest
from django.core import mail

from compliance import review
from compliance.models import DataSubjectRequest
from governance.crypto import blind_index
from governance.models import StoredObject, User
from governance.storage import objectstore
from search.models import SearchJob
from tests.compliance.conftest import searches, verify_link
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
    page.select_option("#kind", "erasure")
    page.select_option("#regime", "gdpr")
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
