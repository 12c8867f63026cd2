"""Support access: what the one enforcement check costs, against the plain floor, in the same run.

    .venv/bin/python bench/support_access.py            # SQLite in memory
    DATABASE_URL=postgres://... .venv/bin/python bench/support_access.py

Floor: the membership lookup any tenant-scoped page does anyway. Measured: can_see_content for the
tenant's admin (customer) and for support under a live grant (3 live grants, 20 named objects each);
and a whole admin change page of a search job, tenant admin vs support (audit event + link included).
Medians of 5 runs.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django

django.setup()

from django.db import connection  # noqa: E402

from bench.testdb import run_in_test_database  # noqa: E402

RUNS, CALLS, PAGES = 5, 300, 30


def median_time(fn, n):
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n)
    return statistics.median(samples)


def main():
    run_in_test_database(run)


def run():
    from django.test import Client

    from governance.models import Membership
    from governance.support import grants, workflow
    from governance.tenancy.tenants import add_member, create_tenant
    from search import pipeline
    from tests.conftest import make_jpeg

    tenant, admin_membership, _ = create_tenant(slug="acme", admin_email="alice@acme.example")
    alice = admin_membership.user
    member, _ = add_member(tenant=tenant, email="bob@acme.example")
    jobs = [pipeline.create_job(tenant=tenant, user=member.user, image_bytes=make_jpeg(), context="c") for _ in range(60)]
    sam = grants.add_support_staff(email="sam@support.example")
    for i in range(3):
        request = workflow.open_request(
            requester=sam, tenant=tenant, ticket=f"SUP-{i}", reason_code="customer_initiated_support",
            reason_text="bench", hours=8, objects=jobs[i * 20 : (i + 1) * 20],
        )  # fmt: skip
        workflow.approve(request=request, actor=alice)
    job = jobs[-1]  # named by the last grant: the scan goes through all three

    floor = median_time(lambda: Membership.objects.filter(user_id=alice.pk, tenant_id=tenant.pk).exists(), CALLS)
    customer = median_time(lambda: grants.can_see_content(user=alice, obj=job), CALLS)
    granted = median_time(lambda: grants.can_see_content(user=sam, obj=job), CALLS)

    url = f"/admin/search/searchjob/{job.pk}/change/"
    alice_client, sam_client = Client(), Client()
    alice_client.force_login(alice)
    sam_client.force_login(sam)
    assert alice_client.get(url).status_code == 200 and sam_client.get(url).status_code == 200
    page_customer = median_time(lambda: alice_client.get(url), PAGES)
    page_support = median_time(lambda: sam_client.get(url), PAGES)

    vendor = connection.vendor
    print(f"support access bench ({vendor}, medians of {RUNS} runs)")
    print(f"  floor: membership exists()           {floor * 1e6:8.0f} us/call")
    print(f"  can_see_content, tenant admin        {customer * 1e6:8.0f} us/call  ({customer / floor:.2f}x floor)")
    print(f"  can_see_content, support under grant {granted * 1e6:8.0f} us/call  ({granted / floor:.2f}x floor)")
    print(f"  job change page, tenant admin        {page_customer * 1e3:8.1f} ms/page")
    print(f"  job change page, support under grant {page_support * 1e3:8.1f} ms/page  ({page_support / page_customer:.2f}x; "
          "3 content fields, 1 audit event, 1 link)")  # fmt: skip


if __name__ == "__main__":
    main()
