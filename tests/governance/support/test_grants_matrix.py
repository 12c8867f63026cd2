"""The support-access matrix: actors x content objects x admin and API URLs.

Only a live grant whose scope covers the object shows its content to anyone outside the tenant,
and every such view writes exactly one audit event naming the ticket. The table of cells is printed
to the test output and written to var/reports/support_matrix.md.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from rest_framework.test import APIClient

from compliance.models import DataSubjectRequest
from compliance.requests import file_request
from governance.admin.base import HIDDEN_CONTENT
from governance.models import AuditEvent
from tests.governance.support.fixtures import (
    ask,
    end_grant,
    grant,
    make_archive,
    make_job,
    make_support,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.governance.support.probe_urls")]

LINK = "/objects/local/"


def build_world(alice, bob, charlie, operator):
    acme = alice.tenant
    job = make_job(bob, context="CTX-MARKER-falcon", description="DESC-MARKER-gearbox")
    other_job = make_job(bob, context="CTX-OTHER", description="DESC-OTHER")
    archive = make_archive(acme, b"ARCHIVE-MARKER")
    dsr = file_request(tenant=acme, kind="access", regime="gdpr", email="subject-marker@example.org", source="form")
    scope = [job, job.image, archive, dsr]

    pending = make_support("pending")
    ask(pending, acme, objects=scope, ticket="SUP-PENDING")
    elsewhere = make_support("elsewhere")
    grant(elsewhere, alice, objects=[other_job], ticket="SUP-OTHER")
    expired = make_support("expired")
    end_grant(grant(expired, alice, objects=scope, ticket="SUP-EXPIRED"))
    live = make_support("live")
    live_grant = grant(live, alice, objects=scope, ticket="SUP-LIVE")

    def web(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    def session_api(user):
        client = APIClient()
        client.force_login(user)  # the API takes tenant API keys only: a session is not enough
        return client

    actors = {
        "operator": (web(operator), session_api(operator)),
        "tenant A admin": (web(alice.user), alice.api),
        "tenant A member": (web(bob.user), bob.api),
        "tenant B admin": (web(charlie.user), charlie.api),
        "support, no request": (web(make_support("nobody")), session_api(make_support("nobody2"))),
        "support, pending": (web(pending), session_api(pending)),
        "support, other object": (web(elsewhere), session_api(elsewhere)),
        "support, expired": (web(expired), session_api(expired)),
        "support, live grant": (web(live), session_api(live)),
    }
    dsr_admins = ["/probe-admin/compliance/datasubjectrequest/"]
    if DataSubjectRequest in admin.site._registry:  # compliance's own admin, once it exists, is held to the same rule
        dsr_admins.append("/admin/compliance/datasubjectrequest/")
    # (object, url kind, url, content markers)
    job_markers = ("CTX-MARKER-falcon", "DESC-MARKER-gearbox")
    urls = [
        ("search job", "admin page", f"/admin/search/searchjob/{job.pk}/change/", job_markers),
        ("search job", "admin list", "/admin/search/searchjob/", job_markers),
        ("search job", "API detail", f"/api/v1/search-jobs/{job.pk}/", ("DESC-MARKER-gearbox",)),
        ("search job", "API list", "/api/v1/search-jobs/", ("DESC-MARKER-gearbox",)),
        ("job image", "admin page", f"/admin/governance/storedobject/{job.image.pk}/change/", (LINK,)),
        ("job image", "admin list", "/admin/governance/storedobject/", (LINK,)),
        ("export archive", "admin page", f"/admin/governance/storedobject/{archive.pk}/change/", (LINK,)),
        ("export archive", "admin list", "/admin/governance/storedobject/", (LINK,)),
    ]
    for base in dsr_admins:
        kind = "probe admin" if base.startswith("/probe") else "admin"
        urls += [
            ("subject e-mail", f"{kind} page", f"{base}{dsr.pk}/change/", ("subject-marker@example.org",)),
            ("subject e-mail", f"{kind} list", base, ("subject-marker@example.org",)),
        ]
    return actors, urls, {"job": job, "live": live, "live_grant": live_grant}


def expected_to_see(actor: str, kind: str) -> bool:
    if kind.endswith("list") and "API" not in kind:
        return False  # list pages never show content
    if kind.startswith("API"):
        return actor == "tenant A member"  # the API: only the member who ran the search
    return actor in ("tenant A admin", "support, live grant")


def test_only_a_live_grant_in_scope_sees_content_and_every_view_is_audited(alice, bob, charlie, operator, capsys):
    actors, urls, world = build_world(alice, bob, charlie, operator)
    rows, failures, checked = [], [], 0
    for actor, (web, api) in actors.items():
        cells = []
        for obj, kind, url, markers in urls:
            before = AuditEvent.objects.filter(action="support.content_viewed").count()
            client = api if kind.startswith("API") else web
            response = client.get(url)
            body = response.content.decode()
            seen = [m for m in markers if m in body]
            sees = bool(seen)
            audited = AuditEvent.objects.filter(action="support.content_viewed").order_by("id")[before:]
            audited = list(audited)
            want = expected_to_see(actor, kind)
            ok = sees == want and (sees and len(seen) == len(markers) or not sees)
            if actor == "support, live grant" and want:
                # exactly one event for the view, naming who, what and which ticket
                ok = ok and len(audited) == 1 and audited[0].actor == f"user:{world['live'].pk}"
                ok = ok and audited[0].metadata["ticket"] == "SUP-LIVE" and audited[0].tenant_id == alice.tenant.pk
            else:
                ok = ok and not audited
            if want and kind.endswith("page"):
                ok = ok and response.status_code == 200
            if actor == "operator" and kind.endswith("page"):
                # the operator reaches the page: the content is hidden on it, not the page
                ok = ok and response.status_code == 200 and HIDDEN_CONTENT in body
            checked += 1
            cells.append(("SEES" if sees else "-") + ("" if ok else " !!"))
            if not ok:
                failures.append(f"{actor} | {obj} | {kind} {url}: status {response.status_code}, seen {seen}, audited {len(audited)}")
        rows.append((actor, cells))

    header = ["actor"] + [f"{obj} / {kind}" for obj, kind, _, _ in urls]
    table = [header, ["---"] * len(header)] + [[actor, *cells] for actor, cells in rows]
    text = "\n".join("| " + " | ".join(row) + " |" for row in table)
    summary = f"support access matrix: {checked} cells checked ({len(actors)} actors x {len(urls)} URLs), {len(failures)} wrong"
    report = Path(settings.VAR_DIR) / "reports" / "support_matrix.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(f"# Support access matrix\n\nSEES = content shown; !! = differs from the rule.\n\n{text}\n\n{summary}\n")
    with capsys.disabled():
        print(f"\n{text}\n{summary}\n(report: {report})")
    assert checked == len(actors) * len(urls) >= 9 * 10
    assert not failures, "\n".join(failures)
    log = repr(list(AuditEvent.objects.values()))
    for marker in ("CTX-MARKER", "DESC-MARKER", "subject-marker", "ARCHIVE-MARKER", "@example.org"):
        assert marker not in log  # the audit log says who saw what, never the content
