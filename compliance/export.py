"""Export (access and portability): one ZIP a person can read and a program can parse.

- index.html: opens offline in any browser (no script, no external asset); explains each category in
  plain words with the information of GDPR Art. 15 (compliance.export_notice) and shows the first rows;
- data/<category>.json: indented JSON, {section: [rows]}, sections named as people name them;
- data/<category>/<section>.csv: the same rows, one CSV per section;
- manifest.json: the files, categories and the same information, for programs.

The data map is walked declaration by declaration, so a category or declaration added to it gets its
section without a change here. Rows are read with values_list(...).iterator() (entries that declare
export_fields) and encoded in chunks with orjson straight into the zip member's stream; the CSV goes
to a temporary file meanwhile. Memory stays flat at any size. Members carry the export's date. The
archive is uploaded with server-side encryption as an export_archive object (deleted by the sweeper
after its hour) and the subject gets an app download link that expires after one hour.
"""

import csv
import tempfile
import zipfile
from collections import defaultdict
from datetime import UTC, timedelta

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from governance import audit, transfers
from governance.datamap import DATA_MAP, SPECS, Category
from governance.models import StoredObject
from governance.retention.rules import RuleBook
from governance.storage import objectstore

from . import export_notice, mail
from .models import DataSubjectRequest
from .requests import set_status

Status, Kind = DataSubjectRequest.Status, DataSubjectRequest.Kind
CHUNK = 2000
PREVIEW_ROWS = 20  # rows index.html shows per section; the files hold them all
LEASE = timedelta(minutes=30)


def _default(value):
    return str(value)


def _rows_json(chunk: list[dict]) -> bytes:
    """The chunk's rows as indented JSON array items, four spaces in (one orjson call per chunk)."""
    body = orjson.dumps(chunk, default=_default, option=orjson.OPT_INDENT_2)[2:-2]  # without "[\n" and "\n]"
    return b"  " + body.replace(b"\n", b"\n  ")


def _cell(value):
    """CSV writes None as "" and scalars with str(); nested values become JSON."""
    if isinstance(value, dict | list):
        return orjson.dumps(value, default=_default).decode()
    return value


class _Section:
    """One declaration's rows: written as JSON into the archive, as CSV to a temporary file."""

    def __init__(self, out, csv_file):
        self.out, self.csv_file, self.writer = out, csv_file, None
        self.count, self.columns, self.preview = 0, [], []

    def rows(self, chunk: list[dict]) -> None:
        if self.writer is None:
            self.columns = list(chunk[0])
            self.writer = csv.writer(self.csv_file)
            self.writer.writerow(self.columns)
        columns = self.columns
        cells = [[_cell(row.get(k)) for k in columns] for row in chunk]
        self.writer.writerows(cells)
        if len(self.preview) < PREVIEW_ROWS:
            self.preview += [["" if v is None else str(v) for v in row] for row in cells[:PREVIEW_ROWS - len(self.preview)]]
        self.out.write((b"\n" if self.count == 0 else b",\n") + _rows_json(chunk))
        self.count += len(chunk)


def _write_entry(section: _Section, entry, queryset, on_rows) -> int:
    """Write one entry's rows into the section; returns how many."""
    if entry.export_fields:
        keys, paths = list(entry.export_fields), list(entry.export_fields.values())
        source = queryset.order_by("pk").values_list(*paths).iterator(chunk_size=CHUNK)
        convert = lambda row: dict(zip(keys, row))  # noqa: E731
    else:
        source = queryset.order_by("pk").iterator(chunk_size=CHUNK)
        convert = entry.export or (lambda obj: {"id": obj.pk})
    chunk: list = []
    for row in source:
        chunk.append(convert(row))
        if len(chunk) >= CHUNK:
            section.rows(chunk)
            on_rows(len(chunk))
            chunk.clear()
    if chunk:
        section.rows(chunk)
        on_rows(len(chunk))
    return section.count


def _exported_entries():
    return [e for e in DATA_MAP.subject_declarations() if e.export or e.export_fields]


def section_name(entry) -> str:
    """What people call the entry's rows ("Search jobs"), not the model's label ("search.searchjob")."""
    name = str(entry.model._meta.verbose_name_plural)
    return name[:1].upper() + name[1:]


def _member(name: str, when) -> zipfile.ZipInfo:
    """A zip member dated when the export was made (zipfile dates members 1980 unless told)."""
    info = zipfile.ZipInfo(name, date_time=when.astimezone(UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = 1  # the archive's level (ZipInfo takes no level argument before Python 3.13)
    return info


def write_archive(fileobj, *, tenant, subject_index: str, reference: str = "", on_rows=lambda n: None) -> dict:
    """Write the subject's archive into an open binary file; returns the manifest."""
    by_category = defaultdict(list)
    for entry in _exported_entries():
        by_category[entry.category].append(entry)
    now = timezone.now()
    recipients, rules = export_notice.recipients(tenant=tenant), RuleBook()
    manifest = {
        "reference": reference,
        "organisation": tenant.name,
        "created_at": now.isoformat(),
        "format": "index.html explains everything in plain words. Each data/<category>.json is an object "
                  "{section: [rows]}; each data/<category>/<section>.csv holds one section's rows. "
                  "Dates are ISO 8601 (UTC).",
        "recipients": recipients,
        "rights": [{"right": r, "meaning": m} for r, m in export_notice.RIGHTS],
        "complaint": export_notice.COMPLAINT,
        "automated_decisions": export_notice.AUTOMATED,
        "files": [],
        # GDPR Art. 15(1)(c): the recipients (sub-processors) this subject's images were actually sent to.
        "images_sent_to": transfers.recipients(tenant_id=tenant.pk, subject_index=subject_index),
    }
    categories = []
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for category in sorted(by_category):
            name = f"data/{category}.json"
            notice = export_notice.category_notice(category=category, tenant_id=tenant.pk, recipients_=recipients,
                                                   rules=rules)
            described, sections, finished = [], [], []
            with archive.open(_member(name, now), "w", force_zip64=True) as out:
                out.write(b"{")
                used = set()
                for i, entry in enumerate(by_category[category]):
                    title = section_name(entry)
                    while title in used:
                        title += " (more)"
                    used.add(title)
                    out.write((b"," if i else b"") + b"\n  " + orjson.dumps(title) + b": [")
                    csv_file = tempfile.TemporaryFile("w+", newline="", encoding="utf-8")
                    section = _Section(out, csv_file)
                    queryset = DATA_MAP.rows(entry, tenant_id=tenant.pk, subject_index=subject_index)
                    count = _write_entry(section, entry, queryset, on_rows)
                    out.write(b"\n  ]" if count else b"]")
                    csv_name = f"data/{category}/{slugify(title) or 'rows'}.csv"
                    finished.append((csv_name, csv_file))
                    described.append({"section": title, "rows": count, "description": entry.description,
                                      "csv": csv_name})
                    sections.append({"title": title, "rows": count, "description": entry.description,
                                     "csv": csv_name, "columns": section.columns, "preview": section.preview})
                out.write(b"\n}\n")
            for csv_name, csv_file in finished:
                with csv_file, archive.open(_member(csv_name, now), "w", force_zip64=True) as out:
                    csv_file.seek(0)
                    _copy_text(csv_file, out)
            manifest["files"].append({
                "file": name, "category": category, "title": Category(category).label if category in Category.values
                else notice["title"], "about": SPECS[category].description if category in SPECS else notice["what"],
                "contents": described, "information": notice,
            })
            categories.append({"category": category, "file": name, "notice": notice, "sections": sections,
                               "rows": sum(s["rows"] for s in sections)})
        archive.writestr(_member("manifest.json", now), orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        index = render_to_string("compliance/export/index.html", {
            "manifest": manifest, "categories": categories, "created_at": now, "rights": export_notice.RIGHTS,
            "complaint": export_notice.COMPLAINT, "automated": export_notice.AUTOMATED, "recipients": recipients,
            "preview_rows": PREVIEW_ROWS,
        })
        archive.writestr(_member("index.html", now), index.encode())
    return manifest


def _copy_text(source, out) -> None:
    while block := source.read(1 << 16):
        out.write(block.encode("utf-8"))


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
