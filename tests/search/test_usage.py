"""Usage statistics: that searches happened, never what was searched; each admin sees their own."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client

from governance.models import User
from search import usage
from search.models import SearchJob, UsageEvent
from tests.conftest import make_jpeg

pytestmark = pytest.mark.django_db
PAGE = "/admin/search/usagestatistics/"
TODAY = date(2026, 11, 20)


def event(tenant, day_offset=0, *, outcome="done", latency=100, context=False, provider="gemini"):
    at = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC) - timedelta(days=day_offset)
    return UsageEvent.objects.create(
        tenant=tenant, created_at=at, provider=provider, used_context=context, latency_ms=latency, outcome=outcome)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_usage_events_have_no_field_that_could_hold_content():
    assert {f.name for f in UsageEvent._meta.fields} == {
        "id", "tenant", "created_at", "provider", "used_context", "latency_ms", "outcome"}


def test_no_image_context_or_description_lands_in_usage_rows(bob, django_capture_on_commit_callbacks):
    upload = io.BytesIO(make_jpeg(colour=(200, 40, 40)))
    upload.name = "secret-falcon-drawing.jpg"
    with django_capture_on_commit_callbacks(execute=True):
        bob.api.post("/api/v1/search-jobs/", {"image": upload, "context": "falcon gearbox prototype"}, format="multipart")
    job = SearchJob.objects.get()
    assert job.status == "done" and job.description
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {UsageEvent._meta.db_table}")
        rows = cursor.fetchall()
    assert len(rows) == 1
    raw = repr(rows)
    for secret in ("falcon", "gearbox", "secret", job.description, job.description[:20], "bob", "acme"):
        assert secret not in raw
    assert not any(isinstance(value, (bytes, memoryview)) for value in rows[0])
    assert UsageEvent.objects.get().used_context is True


def test_the_summary_counts_days_share_latency_and_failures(acme, globex):
    for offset, latency, outcome, context in [
        (0, 100, "done", True), (0, 200, "done", False), (0, 300, "provider_unavailable", False),
        (1, 400, "done", True), (3, 1000, "consent_revoked", False), (40, 5, "done", True),  # outside 30 days
    ]:
        event(acme, offset, latency=latency, outcome=outcome, context=context)
    event(globex, 0, latency=9999, outcome="provider_refused")

    figures = usage.summary(tenant_ids={acme.pk}, days=30, today=TODAY)
    assert (figures.first_day, figures.last_day, len(figures.per_day)) == (TODAY - timedelta(days=29), TODAY, 30)
    counts = {d.day: d.searches for d in figures.per_day}
    assert counts[TODAY] == 3 and counts[TODAY - timedelta(days=1)] == 1 and counts[TODAY - timedelta(days=3)] == 1
    assert sum(counts.values()) == figures.searches == 5
    assert (figures.with_context, figures.context_share) == (2, 0.4)
    assert (figures.latency_p50_ms, figures.latency_p95_ms) == (300, 1000)  # nearest rank of 100..1000
    assert figures.failures == [("consent_revoked", 1), ("provider_unavailable", 1)]
    assert figures.busiest_day == 3

    everyone = usage.summary(tenant_ids=None, days=30, today=TODAY)
    assert everyone.searches == 6 and ("provider_refused", 1) in everyone.failures
    assert usage.summary(tenant_ids=set(), today=TODAY).searches == 0


def test_an_empty_period_has_no_latency_and_no_share(acme):
    figures = usage.summary(tenant_ids={acme.pk}, days=7, today=TODAY)
    assert (figures.searches, figures.latency_p50_ms, figures.context_share) == (0, None, None)
    assert [d.searches for d in figures.per_day] == [0] * 7


def test_a_tenant_admin_sees_only_their_tenants_figures(alice, charlie):
    for _ in range(3):
        event(alice.tenant, 0, outcome="provider_rate_limited")
    for _ in range(7):
        event(charlie.tenant, 0, outcome="done")
    html = logged_in(alice.user).get(PAGE, {"days": 366}).content.decode()
    assert '<td id="fig-searches">3</td>' in html
    assert "provider_rate_limited" in html
    html = logged_in(charlie.user).get(PAGE, {"days": 366}).content.decode()
    assert '<td id="fig-searches">7</td>' in html and "provider_rate_limited" not in html
    # Asking for another tenant's figures is the same 404 as asking for one that does not exist.
    client = logged_in(alice.user)
    assert client.get(PAGE, {"tenant": charlie.tenant.pk}).status_code == 404
    assert client.get(PAGE, {"tenant": 999999}).status_code == 404


def test_the_operator_sees_all_tenants_and_can_narrow_to_one(operator, acme, globex):
    event(acme, 0)
    event(globex, 0)
    event(globex, 0, context=True)
    client = logged_in(operator)
    assert '<td id="fig-searches">3</td>' in client.get(PAGE, {"days": 366}).content.decode()
    html = client.get(PAGE, {"days": 366, "tenant": globex.pk}).content.decode()
    assert '<td id="fig-searches">2</td>' in html and "(50 %)" in html


def test_the_chart_has_one_bar_per_day(alice):
    today = datetime.now(UTC)
    UsageEvent.objects.create(tenant=alice.tenant, created_at=today, provider="gemini", used_context=False, latency_ms=1, outcome="done")
    html = logged_in(alice.user).get(PAGE, {"days": 14}).content.decode()
    assert html.count('class="bar') == 14
    assert f'data-day="{today.date().isoformat()}" data-searches="1"' in html
    assert "<script" not in html.split('id="content-main"')[1]  # plain HTML/CSS, no chart library


def test_members_and_support_staff_cannot_see_usage(bob, acme):
    response = logged_in(bob.user).get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    support = User.objects.create_user(email="support@sightguard.example", password="support-password-1", is_staff=True)
    assert logged_in(support).get(PAGE).status_code == 403
    assert "Usage statistics" not in logged_in(support).get("/admin/").content.decode()
