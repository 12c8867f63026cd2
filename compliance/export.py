"""Export (access and portability): one ZIP with a JSON file per category and a manifest.

The data map is walked declaration by declaration; rows are read with values_list(...).iterator() (entries
that declare export_fields) and encoded in chunks with orjson straight into the zip member's
stream on a temporary file, so memory stays flat at any size. The archive is uploaded with
server-side encryption as an export_archive object (deleted by the sweeper after its hour) and
the subject gets an app download link that expires after one hour.
"""

import tempfile
import zipfile
from collections import defaultdict
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from governance import audit, transfers
from governance.datamap import DATA_MAP, SPECS, Category
from governance.models import StoredObject
from governance.storage import objectstore

from . import mail
from .models import DataSubjectRequest
from .requests import set_status

Status, Kind = DataSubjectRequest.Status, DataSubjectRequest.Kind
CHUNK = 2000
LEASE = timedelta(minutes=30)


def _default(value):
    return str(value)


def _dump(rows: list) -> bytes:
    return orjson.dumps(rows, default=_default)


def _write_entry(out, entry, queryset, on_rows) -> int:
    """Write one entry's rows as a JSON array into `out`; returns how many."""
    out.write(b"[")
    first, count = True, 0
    if entry.export_fields:
        keys, paths = list(entry.export_fields), list(entry.export_fields.values())
        source = queryset.order_by("pk").values_list(*paths).iterator(chunk_size=CHUNK)
        convert = lambda row: dict(zip(keys, row))  # noqa: E731
    else:
        source = queryset.order_by("pk").iterator(chunk_size=CHUNK)
        convert = entry.export or (lambda obj: {"id": obj.pk})
    chunk: list = []

    def flush():
        nonlocal first, count
        out.write((b"" if first else b",") + _dump(chunk)[1:-1])  # the array's items, without its brackets
        first, count = False, count + len(chunk)
        on_rows(len(chunk))
        chunk.clear()

    for row in source:
        chunk.append(convert(row))
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    out.write(b"]")
    return count


def _exported_entries():
    return [e for e in DATA_MAP.subject_declarations() if e.export or e.export_fields]


def write_archive(fileobj, *, tenant, subject_index: str, reference: str = "", on_rows=lambda n: None) -> dict:
    """Write the subject's archive into an open binary file; returns the manifest."""
    by_category = defaultdict(list)
    for entry in _exported_entries():
        by_category[entry.category].append(entry)
    manifest = {
        "reference": reference,
        "organisation": tenant.name,
        "created_at": timezone.now().isoformat(),
        "format": "Each file under data/ is a JSON object: {model: [rows]}. Dates are ISO 8601 (UTC).",
        "files": [],
        # GDPR Art. 15(1)(c): the recipients (sub-processors) the subject's images were sent to.
        "recipients": transfers.recipients(tenant_id=tenant.pk, subject_index=subject_index),
    }
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for category in sorted(by_category):
            name = f"data/{category}.json"
            described = []
            with archive.open(name, "w", force_zip64=True) as out:
                out.write(b"{")
                for i, entry in enumerate(by_category[category]):
                    label = entry.model._meta.label_lower
                    out.write((b"," if i else b"") + orjson.dumps(label) + b":")
                    queryset = DATA_MAP.rows(entry, tenant_id=tenant.pk, subject_index=subject_index)
                    count = _write_entry(out, entry, queryset, on_rows)
                    described.append({"model": label, "rows": count, "description": entry.description})
                out.write(b"}")
            manifest["files"].append({
                "file": name, "category": category, "title": Category(category).label,
                "about": SPECS[category].description, "contents": described,
            })
        archive.writestr("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def count_rows(*, tenant, subject_index: str) -> int:
    return sum(DATA_MAP.rows(e, tenant_id=tenant.pk, subject_index=subject_index).count() for e in _exported_entries())


def build(*, request: DataSubjectRequest) -> StoredObject:
    """Write and upload the archive; progress is recorded as rows are written."""
    total = count_rows(tenant=request.tenant, subject_index=request.subject_index)
    DataSubjectRequest.objects.filter(pk=request.pk).update(
        progress_total=total, progress_done=0, lease_until=timezone.now() + LEASE
    )
    done = [0]

    def on_rows(n):
        done[0] += n
        DataSubjectRequest.objects.filter(pk=request.pk).update(
            progress_done=min(done[0], total), lease_until=timezone.now() + LEASE
        )

    with tempfile.TemporaryFile() as tmp:
        write_archive(tmp, tenant=request.tenant, subject_index=request.subject_index,
                      reference=request.reference, on_rows=on_rows)
        size = tmp.tell()
        tmp.seek(0)
        return objectstore.put_file(
            purpose=StoredObject.Purpose.EXPORT_ARCHIVE,
            fileobj=tmp,
            size=size,
            content_type="application/zip",
            lifetime=timedelta(seconds=settings.MAX_LINK_SECONDS),
            tenant=request.tenant,
            subject_index=request.subject_index,
        )


def run(*, request_id: str) -> bool:
    """The export task's work. Idempotent: a request not in progress is left alone."""
    request = DataSubjectRequest.objects.select_related("tenant").filter(
        pk=request_id, status=Status.IN_PROGRESS, kind__in=(Kind.ACCESS, Kind.PORTABILITY)
    ).first()
    if request is None:
        return False
    archive = build(request=request)
    with transaction.atomic():
        if not set_status(request=request, status=Status.FULFILLED, actor="system:export", lease_until=None):
            objectstore.delete(archive, reason="superseded")  # another worker finished it meanwhile
            return False
        DataSubjectRequest.objects.filter(pk=request.pk).update(archive=archive, progress_done=F("progress_total"))
        link = objectstore.issue_download(archive, actor=request)
        audit.record(action="privacy_request.exported", actor="system:export", tenant=request.tenant_id,
                     target=request, metadata={"archive": str(archive.pk), "bytes": archive.size})
        email = request.email
        transaction.on_commit(lambda: mail.export_ready(request=request, to=email, link=link.url))
    return True


def reissue(*, request_id: str) -> bool:
    """A fresh archive and link for a fulfilled export, after the subject verified again."""
    request = DataSubjectRequest.objects.select_related("tenant").filter(
        pk=request_id, status=Status.FULFILLED, kind__in=(Kind.ACCESS, Kind.PORTABILITY)
    ).first()
    if request is None or not request.email:
        return False
    archive = build(request=request)
    with transaction.atomic():
        DataSubjectRequest.objects.filter(pk=request.pk).update(archive=archive)
        link = objectstore.issue_download(archive, actor=request)
        audit.record(action="privacy_request.export_reissued", actor="system:export", tenant=request.tenant_id,
                     target=request, metadata={"archive": str(archive.pk)})
        email = request.email
        transaction.on_commit(lambda: mail.export_ready(request=request, to=email, link=link.url))
    return True
