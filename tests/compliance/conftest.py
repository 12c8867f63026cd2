import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from search.models import Document, SearchJob, SearchResult

LINK = re.compile(r"https?://\S+")


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def links(message) -> list[str]:
    return LINK.findall(message.body)


def verify_link(message) -> str:
    return next(u for u in links(message) if "/privacy/verify/" in u)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def file_via_api(client, *, tenant="acme", kind="erasure", regime="gdpr", email="erin@example.com"):
    return client.post("/api/v1/privacy-requests/", {"tenant": tenant, "kind": kind, "regime": regime, "email": email}, format="json")


def searches(actor, *, jobs=3, results_per_job=2):
    """Search jobs (with results) run by a member, written straight to the tables."""
    docs = [Document.objects.create(tenant=actor.tenant, title=f"doc {i}", text="text") for i in range(results_per_job)]
    made = []
    for i in range(jobs):
        job = SearchJob.objects.create(
            tenant=actor.tenant, created_by=actor.user, context=f"context {i}", description=f"described {i}",
            provider="offline", status=SearchJob.Status.DONE, finished_at=timezone.now(),
        )
        for rank, doc in enumerate(docs):
            SearchResult.objects.create(tenant=actor.tenant, job=job, document=doc, rank=rank, score=0.5)
        made.append(job)
    return made


@pytest.fixture
def outbox():
    mail.outbox.clear()
    return mail.outbox


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the code queued for after commit (mail, tasks) at the block's end."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
