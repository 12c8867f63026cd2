"""Match a job's description against its tenant's documents and keep the top results.

PostgreSQL: full-text search with ranking (title weighted above text, any of the description's
terms may match, ts_rank orders). SQLite (the embedded default): term overlap, title hits
counting double. Only the tenant's own documents are ever read.
"""

import math
import re
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import connection

from .models import Document, SearchJob, SearchResult

WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
MAX_TERMS = 40
STOP_WORDS = frozenset(
    "the and for with from that this are was were has have had its into onto over under about above "
    "below not but can may one two three four five image shown shows showing photo picture appears "
    "which who what where when there their them they than then also very some any all each other "
    "such only own same too out off per via while".split()
)


def terms_of(text: str) -> list[str]:
    """Distinct lower-case words of a text, stop words left out, in order of first appearance."""
    seen: dict[str, None] = {}
    for word in WORD.findall(text.lower()):
        if word not in STOP_WORDS and not word.isdigit():
            seen.setdefault(word)
    return list(seen)[:MAX_TERMS]


def rank_documents(*, tenant_id: int, text: str, limit: int) -> list[tuple[int, float]]:
    """(document id, score) of the tenant's best matches for a text, best first."""
    terms = terms_of(text)
    if not terms or limit <= 0:
        return []
    documents = Document.objects.filter(tenant_id=tenant_id)
    if connection.vendor == "postgresql":
        return _rank_postgres(documents, terms, limit)
    return _rank_overlap(documents, terms, limit)


def _rank_postgres(documents, terms, limit):
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    vector = SearchVector("title", weight="A", config="english") + SearchVector("text", weight="B", config="english")
    query = reduce(or_, (SearchQuery(term, config="english", search_type="plain") for term in terms))
    rows = (
        documents.annotate(vector=vector)
        .filter(vector=query)
        .annotate(score=SearchRank(vector, query))
        .order_by("-score", "id")
        .values_list("id", "score")[:limit]
    )
    return [(pk, float(score)) for pk, score in rows]


def _rank_overlap(documents, terms, limit):
    wanted = set(terms)
    scored = []
    for pk, title, text in documents.values_list("id", "title", "text").iterator(chunk_size=500):
        in_title = wanted.intersection(WORD.findall(title.lower()))
        text_words = WORD.findall(text.lower())
        in_text = wanted.intersection(text_words)
        hits = 2 * len(in_title) + len(in_text)
        if hits:
            # Normalised by the query's size and (gently) by the document's length, like ts_rank's 1|2.
            score = hits / (2 * len(wanted)) / (1 + math.log1p(len(text_words)) / 10)
            scored.append((pk, round(score, 6)))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit]


PLAIN_QUERY = "plainto_tsquery('english'::regconfig, %s)"


def rank_many(*, queries: list[tuple[int, str]], limit: int) -> list[list[tuple[int, float]]]:
    """rank_documents for many (tenant id, text) pairs, in their order. On PostgreSQL one statement
    ranks them all (a LATERAL join over the pairs, with rank_documents' vector, query and order)."""
    if connection.vendor != "postgresql":
        return [rank_documents(tenant_id=tenant_id, text=text, limit=limit) for tenant_id, text in queries]
    rows, params = [], []
    for n, (tenant_id, text) in enumerate(queries):
        terms = terms_of(text)
        if terms and limit > 0:
            rows.append(f"(%s, %s, {' || '.join([PLAIN_QUERY] * len(terms))})")
            params += [n, tenant_id, *terms]
    ranked: list[list[tuple[int, float]]] = [[] for _ in queries]
    if not rows:
        return ranked
    vector = (
        "(setweight(to_tsvector('english'::regconfig, COALESCE(d.title, '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, COALESCE(d.text, '')), 'B'))"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT q.n, r.id, r.score FROM (VALUES {', '.join(rows)}) AS q(n, tenant_id, query) "
            f"CROSS JOIN LATERAL (SELECT d.id, ts_rank({vector}, q.query) AS score "
            f"FROM {Document._meta.db_table} AS d WHERE d.tenant_id = q.tenant_id AND {vector} @@ q.query "
            "ORDER BY score DESC, d.id LIMIT %s) AS r ORDER BY q.n, r.score DESC, r.id",
            [*params, limit],
        )
        for n, pk, score in cursor.fetchall():
            ranked[n].append((pk, float(score)))
    return ranked


def store_results(*, job: SearchJob, description: str, replace: bool = True) -> list[SearchResult]:
    """Replace the job's results with the top matches of its description (idempotent).

    `replace=False` skips deleting earlier results, for a caller that knows there are none."""
    ranked = rank_documents(tenant_id=job.tenant_id, text=description, limit=settings.SEARCH_RESULTS_LIMIT)
    if replace:
        SearchResult.objects.filter(job_id=job.pk).delete()
    return SearchResult.objects.bulk_create(
        SearchResult(tenant_id=job.tenant_id, job_id=job.pk, document_id=doc_id, rank=rank, score=score)
        for rank, (doc_id, score) in enumerate(ranked, start=1)
    )
