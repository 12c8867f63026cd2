"""The admin's home is a console: the tenant admin's privacy dashboard with only their concepts,
the operator's platform health with beat internals out of sight unless asked for."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from compliance.models import DataSubjectRequest
from compliance.requests import file_request
from tests.governance.support.fixtures import ask, make_support

pytestmark = pytest.mark.django_db
OPERATOR_CONCEPTS = ("Drp agents", "Open dsr controllers", "Callback deliveries", "Retention policies", ">Tenants<")


def home(user, query=""):
    client = Client()
    client.force_login(user)
    response = client.get("/admin/" + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def queue(acme, globex):
    late = file_request(tenant=acme, kind="erasure", regime="gdpr", email="late@example.com", source="form", verified=True)
    DataSubjectRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=1))
    soon = file_request(tenant=acme, kind="access", regime="gdpr", email="soon@example.com", source="form", verified=True)
    DataSubjectRequest.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(days=3))
    theirs = file_request(tenant=globex, kind="erasure", regime="gdpr", email="x@example.com", source="form", verified=True)
    return late, soon, theirs


def test_the_tenant_admins_home_is_their_privacy_dashboard(alice, queue):
    late, soon, theirs = queue
    sam = make_support("sam")
    ask(sam, alice.tenant, categories=["search_text"], ticket="SUP-77")
    page = home(alice.user)
    assert 'id="panel-consent"' in page and "Not accepted yet" in page and "Read and accept the terms" in page
    assert 'id="queue-overdue">1<' in page and 'id="queue-due-soon">1<' in page
    assert late.reference in page and soon.reference in page and theirs.reference not in page
    assert "SUP-77" in page and "waiting for your decision" in page
    assert 'id="panel-health"' in page and "Enforce retention rules" in page
    assert 'id="usage-chart"' in page and 'id="panel-audit"' in page
    assert "late@example.com" not in page  # no subject's e-mail on the home
    for concept in OPERATOR_CONCEPTS:
        assert concept not in page, concept
    assert "Data subject requests" in page


def test_another_tenants_admin_sees_nothing_of_it(charlie, queue):
    late, soon, theirs = queue
    page = home(charlie.user)
    assert late.reference not in page and theirs.reference in page and 'id="queue-overdue">0<' in page


def test_the_operators_home_shows_platform_health_and_hides_beat_internals(operator, queue):
    page = home(operator)
    assert 'id="panel-platform"' in page and 'id="queue-overdue">1<' in page
    assert "Resume stalled data-subject work" in page  # every periodic job, the operator's housekeeping too
    assert "Clocked" not in page and "Solar" not in page and "Periodic tasks" in page
    shown = home(operator, "?show=internals")
    assert "Clocked" in shown and "Solar" in shown
