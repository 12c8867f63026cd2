"""The object store: the one module that touches buckets.

boto3 against any S3-compatible endpoint (S3_BUCKET, S3_ENDPOINT_URL), or a local directory for
the embedded default, with the same contract. Every object written is recorded as a StoredObject
(purpose, tenant, deadline) before its bytes are sent, so the sweeper and the erasure engine know
every copy. Every put is encrypted at rest. Links never live longer than MAX_LINK_SECONDS.
"""

import functools
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from governance import audit
from governance.models import IssuedLink, StoredObject

PREFIXES = {
    StoredObject.Purpose.TRANSIENT_IMAGE: "tmp/images/",
    StoredObject.Purpose.EXPORT_ARCHIVE: "tmp/exports/",
    StoredObject.Purpose.SUPPORT_VIEW: "tmp/support/",
    StoredObject.Purpose.RETAINED_IMAGE: "retained/images/",
    StoredObject.Purpose.AUDIT_CHECKPOINT: "audit/checkpoints/",
}
TEMPORARY_PREFIX = "tmp/"
LOCAL_LINK_SALT = "sightguard.objectstore.local-link"
DOWNLOAD_SALT = "sightguard.objectstore.download"


def is_temporary(purpose: str) -> bool:
    """Objects under tmp/ (transient images, exports, support views) never live past one hour."""
    return PREFIXES[purpose].startswith(TEMPORARY_PREFIX)


class StorageError(Exception):
    """The bucket refused or failed an operation for a reason other than a lock; nothing is counted."""


@dataclass(frozen=True)
class Version:
    """One version or delete marker of a key, as ListObjectVersions reports it."""

    key: str
    version_id: str
    latest: bool
    delete_marker: bool
    modified: object


class S3Backend:
    def __init__(self, *, bucket: str, endpoint_url: str | None, region: str):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(signature_version="s3v4", retries={"max_attempts": 4, "mode": "standard"}),
        )

    def _encryption(self) -> dict:
        if settings.S3_SSE == "aws:kms":
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": settings.S3_SSE_KMS_KEY_ID}
        return {"ServerSideEncryption": settings.S3_SSE}

    def put(self, key: str, data: bytes, content_type: str, *, lock_until: datetime | None = None) -> None:
        extra = self._encryption()
        if lock_until is not None and self.object_lock_enabled():
            extra.update(ObjectLockMode=settings.AUDIT_OBJECT_LOCK_MODE, ObjectLockRetainUntilDate=lock_until)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, **extra)

    @functools.cached_property
    def _object_lock(self) -> bool:
        from botocore.exceptions import ClientError

        try:
            config = self.client.get_object_lock_configuration(Bucket=self.bucket)["ObjectLockConfiguration"]
        except ClientError:
            return False
        return config.get("ObjectLockEnabled") == "Enabled"

    def object_lock_enabled(self) -> bool:
        """Whether the bucket was created with Object Lock (only then can a put carry a retention)."""
        return self._object_lock

    def put_file(self, key: str, fileobj, content_type: str) -> None:
        self.client.upload_fileobj(
            fileobj, self.bucket, key, ExtraArgs={"ContentType": content_type, **self._encryption()}
        )

    def get(self, key: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise

    def versioned(self) -> bool:
        """Versioning on now or ever (a suspended bucket still holds the versions written before)."""
        return self.client.get_bucket_versioning(Bucket=self.bucket).get("Status") in {"Enabled", "Suspended"}

    def delete_many(self, keys: Iterable[str]) -> set[str]:
        """Delete every version and delete marker of each key, and abort its unfinished uploads.

        Returns the keys a version of which could not be deleted (Object Lock retention or legal
        hold): those are still readable and must never be counted as deleted.
        """
        keys = list(dict.fromkeys(keys))
        if not keys:
            return set()
        self._abort_uploads(keys)
        if not self.versioned():
            return self._delete_batched([{"Key": k} for k in keys])
        targets = [{"Key": v.key, "VersionId": v.version_id} for key in keys for v in self.versions(key) if v.key == key]
        return self._delete_batched(targets)

    def delete_versions(self, versions: Iterable["Version"]) -> set[str]:
        """Delete these exact versions (the sweeper's noncurrent leftovers); returns the locked keys."""
        return self._delete_batched([
            {"Key": v.key} if v.version_id == "null" else {"Key": v.key, "VersionId": v.version_id} for v in versions
        ])

    def _delete_batched(self, targets: list[dict]) -> set[str]:
        locked: set[str] = set()
        for start in range(0, len(targets), 1000):
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": targets[start : start + 1000], "Quiet": True}
            )
            for error in answer.get("Errors", []):
                if error.get("Code") not in {"AccessDenied", "ObjectLocked", "InvalidRequest"}:
                    raise StorageError(f"the bucket refused a delete ({error.get('Code')})")
                locked.add(error["Key"])
        return locked

    def _abort_uploads(self, keys: list[str]) -> None:
        wanted = set(keys)
        paginator = self.client.get_paginator("list_multipart_uploads")
        for parent in sorted({k.rsplit("/", 1)[0] + "/" for k in keys}):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=parent):
                for upload in page.get("Uploads", []):
                    if upload["Key"] in wanted:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )

    def versions(self, prefix: str) -> Iterator["Version"]:
        """Every version and delete marker under `prefix` (on an unversioned bucket: one per object)."""
        for page in self.version_pages(prefix):
            yield from page

    def version_pages(self, prefix: str) -> Iterator[list["Version"]]:
        """The versions and delete markers under `prefix`, a listing page (up to 1,000) at a time.

        Each page is asked for from the last version of the one before, so a caller deleting what it
        was given must wait until the next page has been listed (see deletable_pages): once that
        version is gone, a listing resumed from it ends early on some S3 servers (moto does)."""
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            yield [
                *(Version(i["Key"], i.get("VersionId") or "null", i["IsLatest"], False, i["LastModified"])
                  for i in page.get("Versions", [])),
                *(Version(i["Key"], i.get("VersionId") or "null", i["IsLatest"], True, i["LastModified"])
                  for i in page.get("DeleteMarkers", [])),
            ]

    def purge_prefix(self, prefix: str) -> tuple[int, set[str]]:
        """Delete every version and delete marker under `prefix` and abort its unfinished uploads,
        a listing page at a time; returns (versions deleted, keys kept by Object Lock)."""
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        deleted, locked = 0, set()
        for page in deletable_pages(self, prefix):
            refused = self.delete_versions(page)
            deleted, locked = deleted + len(page) - len(refused), locked | refused
        return deleted, locked

    def list_keys(self, prefix: str) -> Iterator[tuple[str, object]]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"], item["LastModified"]

    def link(self, key: str, seconds: int) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
        )


class LocalBackend:
    """A directory standing in for a bucket; contents are encrypted with the field-encryption keys."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.cipher = MultiFernet([Fernet(k) for k in settings.FIELD_ENCRYPTION_KEY])

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("object key escapes the store")
        return path

    def put(self, key: str, data: bytes, content_type: str, *, lock_until: datetime | None = None) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.cipher.encrypt(data))

    def put_file(self, key: str, fileobj, content_type: str) -> None:
        self.put(key, fileobj.read(), content_type)

    def get(self, key: str) -> bytes:
        return self.cipher.decrypt(self._path(key).read_bytes())

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete_many(self, keys: Iterable[str]) -> set[str]:
        """One file per key, overwritten in place by put (no temporary or backup copy): unlinking it is all."""
        for key in keys:
            self._path(key).unlink(missing_ok=True)
        return set()

    def versioned(self) -> bool:
        return False

    def purge_prefix(self, prefix: str) -> tuple[int, set[str]]:
        keys = [key for key, _ in self.list_keys(prefix)]
        self.delete_many(keys)
        return len(keys), set()

    def delete_versions(self, versions: Iterable[Version]) -> set[str]:
        return self.delete_many(v.key for v in versions)

    def versions(self, prefix: str) -> Iterator[Version]:
        for key, modified in self.list_keys(prefix):
            yield Version(key, "null", True, False, modified)

    def version_pages(self, prefix: str) -> Iterator[list[Version]]:
        versions = list(self.versions(prefix))
        for start in range(0, len(versions), 1000):
            yield versions[start : start + 1000]

    def list_keys(self, prefix: str) -> Iterator[tuple[str, object]]:
        import datetime

        # A prefix is not a directory: "tmp/images/1/ab" covers the files starting so in tmp/images/1/.
        parent = self.root / prefix.rpartition("/")[0]
        if not parent.is_dir():
            return
        for path in parent.rglob("*"):
            if path.is_file() and str(path.relative_to(self.root)).startswith(prefix):
                modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
                yield str(path.relative_to(self.root)), modified

    def link(self, key: str, seconds: int) -> str:
        token = signing.dumps({"k": key, "s": seconds}, salt=LOCAL_LINK_SALT)
        return settings.SITE_URL + reverse("local-object", args=[token])


def deletable_pages(store, prefix: str) -> Iterator[list[Version]]:
    """The listing pages of `prefix`, each handed out only once the page after it has been listed,
    so the caller may delete it without cutting the listing short (see S3Backend.version_pages)."""
    previous = None
    for page in store.version_pages(prefix):
        if previous:
            yield previous
        previous = page
    if previous:
        yield previous


@functools.cache
def _backend_for(bucket, endpoint_url, region, local_root):
    if bucket:
        return S3Backend(bucket=bucket, endpoint_url=endpoint_url, region=region)
    return LocalBackend(local_root)


def backend():
    return _backend_for(settings.S3_BUCKET, settings.S3_ENDPOINT_URL, settings.S3_REGION, settings.LOCAL_OBJECT_ROOT)


def put(
    *,
    purpose: str,
    data: bytes,
    content_type: str,
    lifetime: timedelta,
    tenant=None,
    subject_index: str = "",
    lock: bool = False,
) -> StoredObject:
    """Record, then write an object. If the write fails, no record stays behind.

    A temporary object's lifetime is capped at MAX_LINK_SECONDS (one hour) whatever is asked:
    the sweeper deletes it when that hour is over. `lock`: under Object Lock until its deadline
    where the bucket has Object Lock (the local store has none).
    """
    lock_until = timezone.now() + lifetime if lock else None
    return _record_and_write(
        purpose=purpose, size=len(data), content_type=content_type, lifetime=lifetime, tenant=tenant,
        subject_index=subject_index, write=lambda key: backend().put(key, data, content_type, lock_until=lock_until),
    )


def put_file(
    *,
    purpose: str,
    fileobj,
    size: int,
    content_type: str,
    lifetime: timedelta,
    tenant=None,
    subject_index: str = "",
) -> StoredObject:
    """put() for a file streamed from disk (exports): recorded first, uploaded in parts, encrypted."""
    return _record_and_write(
        purpose=purpose, size=size, content_type=content_type, lifetime=lifetime, tenant=tenant,
        subject_index=subject_index, write=lambda key: backend().put_file(key, fileobj, content_type),
    )


def _record_and_write(*, purpose, size, content_type, lifetime, tenant, subject_index, write) -> StoredObject:
    prefix = PREFIXES[purpose]
    if is_temporary(purpose):
        lifetime = min(lifetime, timedelta(seconds=settings.MAX_LINK_SECONDS))
    tenant_part = getattr(tenant, "pk", tenant) or "platform"
    key = f"{prefix}{tenant_part}/{uuid.uuid4().hex}"
    now = timezone.now()
    with transaction.atomic():
        obj = StoredObject.objects.create(
            tenant_id=getattr(tenant, "pk", tenant),
            key=key,
            purpose=purpose,
            content_type=content_type,
            size=size,
            subject_index=subject_index,
            created_at=now,
            deadline=now + lifetime,
        )
        write(key)
    return obj


def replace(obj: StoredObject, *, data: bytes, content_type: str) -> StoredObject:
    """Overwrite a live object's bytes under the same key and deadline (e.g. once faces are blurred)."""
    with transaction.atomic():
        updated = StoredObject.objects.filter(pk=obj.pk, deleted_at__isnull=True).update(
            size=len(data), content_type=content_type
        )
        if not updated:
            raise FileNotFoundError("the object was deleted")
        store = backend()
        store.put(obj.key, data, content_type)
        if store.versioned():  # the bytes replaced (e.g. unblurred) must not stay readable by version id
            store.delete_versions(v for v in store.versions(obj.key) if v.key == obj.key and not v.latest)
    obj.size, obj.content_type = len(data), content_type
    return obj


def read(obj: StoredObject) -> bytes:
    if obj.deleted_at is not None:
        raise FileNotFoundError("the object was deleted")
    return backend().get(obj.key)


def delete(objects: Iterable[StoredObject] | StoredObject, *, reason: str) -> int:
    """Delete objects (every version) from the bucket, then close their records. Idempotent; returns
    how many closed. An object the bucket keeps under Object Lock stays open (still readable)."""
    if isinstance(objects, StoredObject):
        objects = [objects]
    live = [o for o in objects if o.deleted_at is None]
    if not live:
        return 0
    locked = backend().delete_many(o.key for o in live)
    gone = [o for o in live if o.key not in locked]
    now = timezone.now()
    closed = StoredObject.objects.filter(pk__in=[o.pk for o in gone], deleted_at__isnull=True).update(
        deleted_at=now, deleted_reason=reason
    )
    for o in gone:
        o.deleted_at, o.deleted_reason = now, reason
    return closed


@dataclass(frozen=True)
class DeletedBatch:
    keys: list[str]  # every version gone
    locked: list[str]  # a version kept by Object Lock: the record stays open, the object readable


def delete_matching(queryset, *, reason: str, batch: int = 1000) -> Iterator[DeletedBatch]:
    """Delete the live objects of `queryset` (every version) a batch at a time; yields each batch.

    Each batch is one statement that closes the records (and clears their subject index) and
    returns their keys — no ids sent back and forth — then one bucket delete. Run it inside the
    caller's transaction: a failed bucket delete rolls the batch's records back with it. Objects
    the bucket refuses to delete (Object Lock) get their records reopened, marked `object_lock`.
    """
    live = queryset.filter(deleted_at__isnull=True).order_by("pk")
    table = connection.ops.quote_name(StoredObject._meta.db_table)
    store = backend()
    refused: list[str] = []
    while True:
        pending = live.exclude(key__in=refused) if refused else live
        select_sql, params = pending.values("pk")[:batch].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS o SET deleted_at = %s, deleted_reason = %s, subject_index = '' "
                f"FROM (SELECT id, subject_index FROM {table} WHERE id IN (SELECT pk FROM ({select_sql}) AS b)"
                f") AS before WHERE o.id = before.id RETURNING o.key, before.subject_index",
                [timezone.now(), reason, *params],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        locked = store.delete_many(key for key, _ in rows)
        if locked:
            for key, subject_index in rows:
                if key in locked:
                    StoredObject.objects.filter(key=key).update(
                        deleted_at=None, deleted_reason="object_lock", subject_index=subject_index
                    )
            refused.extend(sorted(locked))
        yield DeletedBatch([key for key, _ in rows if key not in locked], sorted(locked))
        if len(rows) < batch:
            return


def remaining_versions(keys: Iterable[str]) -> dict[str, int]:
    """How many versions or delete markers the bucket still holds under each of `keys` (listed, not assumed).

    Keys sharing a folder are checked with one listing of that folder when there are many of them,
    one listing per key otherwise (a tenant's folder may hold far more than one subject's keys).
    """
    store = backend()
    groups: dict[str, list[str]] = {}
    for key in dict.fromkeys(keys):
        groups.setdefault(key.rsplit("/", 1)[0] + "/", []).append(key)
    found: dict[str, int] = {}
    for folder, members in groups.items():
        wanted = set(members)
        listings = [folder] if len(members) > VERIFY_PER_KEY_UP_TO else members
        for prefix in listings:
            for version in store.versions(prefix):
                if version.key in wanted:
                    found[version.key] = found.get(version.key, 0) + 1
    return found


VERIFY_PER_KEY_UP_TO = 50


def link(obj: StoredObject, *, actor, seconds: int = settings.MAX_LINK_SECONDS) -> str:
    """A presigned download link, capped at MAX_LINK_SECONDS whatever is asked; recorded and audited."""
    seconds = max(1, min(int(seconds), settings.MAX_LINK_SECONDS))
    _record_link(obj, actor=actor, expires_at=timezone.now() + timedelta(seconds=seconds),
                 action="object.link_issued", metadata={"seconds": seconds})
    return backend().link(obj.key, seconds)


def _record_link(obj: StoredObject, *, actor, expires_at: datetime, action: str, metadata: dict) -> IssuedLink:
    """Every link handed out is recorded (who, what, until when; the sweeper enforces it) and audited."""
    if obj.deleted_at is not None:
        raise FileNotFoundError("the object was deleted")
    with transaction.atomic():
        issued = IssuedLink.objects.create(object=obj, actor=audit.actor_label(actor), expires_at=expires_at)
        audit.record(action=action, actor=actor, tenant=obj.tenant_id, target=obj,
                     metadata={"purpose": obj.purpose, "link": issued.pk, **metadata})
    return issued


def read_local_link(token: str) -> tuple[bytes, str]:
    """Serve a local-store link (embedded default only); refuses expired tokens."""
    payload = signing.loads(token, salt=LOCAL_LINK_SALT, max_age=settings.MAX_LINK_SECONDS)
    # A link asked for less than the cap (e.g. ending with a support grant) dies at its own time.
    signing.loads(token, salt=LOCAL_LINK_SALT, max_age=min(int(payload.get("s", 0)), settings.MAX_LINK_SECONDS))
    obj = StoredObject.objects.get(key=payload["k"], deleted_at__isnull=True)
    return backend().get(obj.key), obj.content_type


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


def issue_download(obj: StoredObject, *, actor) -> DownloadLink:
    """An app link (safe to e-mail) that lives MAX_LINK_SECONDS; each visit gets a fresh presigned URL.

    The link is recorded (who, what, until when) and audited like a presigned one.
    """
    expires_at = min(timezone.now() + timedelta(seconds=settings.MAX_LINK_SECONDS), obj.deadline)
    issued = _record_link(obj, actor=actor, expires_at=expires_at, action="object.download_link_issued",
                          metadata={"expires_at": expires_at.isoformat()})
    token = signing.dumps({"l": issued.pk}, salt=DOWNLOAD_SALT, compress=True)
    return DownloadLink(settings.SITE_URL + reverse("download", args=[token]), expires_at)


class DownloadExpired(Exception):
    pass


def redeem_download(token: str) -> str:
    """The fresh presigned URL behind an app download link.

    Raises signing.BadSignature for a forged token, DownloadExpired when its hour (or its object) is
    gone. The presigned URL lives DOWNLOAD_REDIRECT_SECONDS, never past the app link's expiry.
    """
    try:
        payload = signing.loads(token, salt=DOWNLOAD_SALT, max_age=settings.MAX_LINK_SECONDS)
    except signing.SignatureExpired:
        raise DownloadExpired() from None
    issued = IssuedLink.objects.select_related("object").filter(pk=payload.get("l")).first()
    now = timezone.now()
    if issued is None or issued.expires_at <= now or issued.object.deleted_at is not None:
        raise DownloadExpired()
    remaining = int((issued.expires_at - now).total_seconds())
    if remaining < 1:
        raise DownloadExpired()
    return link(issued.object, actor=issued, seconds=min(settings.DOWNLOAD_REDIRECT_SECONDS, remaining))
