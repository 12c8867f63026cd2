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

    def delete_many(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

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

    def delete_many(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str) -> Iterator[tuple[str, object]]:
        import datetime

        base = self.root / prefix
        if not base.exists():
            return
        for path in base.rglob("*"):
            if path.is_file():
                modified = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
                yield str(path.relative_to(self.root)), modified

    def link(self, key: str, seconds: int) -> str:
        token = signing.dumps({"k": key, "s": seconds}, salt=LOCAL_LINK_SALT)
        return settings.SITE_URL + reverse("local-object", args=[token])


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
        backend().put(obj.key, data, content_type)
    obj.size, obj.content_type = len(data), content_type
    return obj


def read(obj: StoredObject) -> bytes:
    if obj.deleted_at is not None:
        raise FileNotFoundError("the object was deleted")
    return backend().get(obj.key)


def delete(objects: Iterable[StoredObject] | StoredObject, *, reason: str) -> int:
    """Delete objects from the bucket, then close their records. Idempotent; returns how many closed."""
    if isinstance(objects, StoredObject):
        objects = [objects]
    live = [o for o in objects if o.deleted_at is None]
    if not live:
        return 0
    backend().delete_many(o.key for o in live)
    now = timezone.now()
    closed = StoredObject.objects.filter(pk__in=[o.pk for o in live], deleted_at__isnull=True).update(
        deleted_at=now, deleted_reason=reason
    )
    for o in live:
        o.deleted_at, o.deleted_reason = now, reason
    return closed


def delete_matching(queryset, *, reason: str, batch: int = 1000) -> Iterator[list[str]]:
    """Delete the live objects of `queryset` a batch at a time; yields each batch's keys.

    Each batch is one statement that closes the records (and clears their subject index) and
    returns their keys — no ids sent back and forth — then one bucket delete. Run it inside the
    caller's transaction: a failed bucket delete rolls the batch's records back with it.
    """
    live = queryset.filter(deleted_at__isnull=True).order_by("pk").values("pk")
    table = connection.ops.quote_name(StoredObject._meta.db_table)
    store = backend()
    while True:
        select_sql, params = live[:batch].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET deleted_at = %s, deleted_reason = %s, subject_index = '' "
                f"WHERE id IN (SELECT pk FROM ({select_sql}) AS batch) RETURNING key",
                [timezone.now(), reason, *params],
            )
            keys = [key for (key,) in cursor.fetchall()]
        if not keys:
            return
        store.delete_many(keys)
        yield keys
        if len(keys) < batch:
            return


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
