"""What a newcomer meets after `make run`: an operator to sign in with, the URLs that matter, where
mail goes, a front page, and documents so that the first search finds something."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from governance.demo import DEMO
from governance.models import AuditEvent, User
from search.management.commands.demo import sample_image
from search.matching import rank_documents
from search.models import Document
from search.providers.base import ImageInput
from search.providers.offline import OfflineProvider

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_first_run_makes_an_operator_and_says_where_everything_is(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    banner = seed()
    operator = User.objects.get(is_superuser=True)
    assert operator.email == DEMO["operator_email"] and operator.check_password(DEMO["operator_password"])
    assert AuditEvent.objects.filter(action="operator.added").count() == 1
    assert "http://127.0.0.1:8000/admin/" in banner
    assert f"{DEMO['operator_email']} / {DEMO['operator_password']}  (just created)" in banner
    assert "http://127.0.0.1:8000/privacy/demo/" in banner
    assert f"files in {tmp_path / 'mail'}/" in banner

    again = seed()
    assert User.objects.filter(is_superuser=True).count() == 1
    assert "(unless you changed it)" in again
    assert Document.objects.filter(tenant__slug="demo").count() == 5  # not seeded twice


def test_an_existing_operator_is_named_not_replaced(settings):
    call_command("add_operator", email="ops@example.org", password="a-long-password-1", stdout=io.StringIO())
    banner = seed()
    assert User.objects.filter(is_superuser=True).count() == 1
    assert "ops@example.org (your own password)" in banner


def test_the_demo_images_first_search_finds_documents():
    seed()
    tenant_id = Document.objects.filter(tenant__slug="demo").values_list("tenant_id", flat=True).first()
    description = OfflineProvider().describe(
        image=ImageInput(data=sample_image(), mime_type="image/jpeg"), context="", instructions=""
    )
    assert rank_documents(tenant_id=tenant_id, text=description, limit=10)


def test_add_operator_refuses_a_bad_address_with_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="invalid_email"):
        call_command("add_operator", email="not an address", password="x" * 12)
    assert not User.objects.filter(is_superuser=True).exists()


def test_the_front_page_leads_each_visitor_somewhere():
    page = Client().get("/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'href="/admin/"' in html and 'href="/api/docs/"' in html and "/privacy/" in html
