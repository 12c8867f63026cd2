"""Bucket-level settings: the 1-day lifecycle backstop on temporary prefixes, default encryption,
and on a versioned bucket the rules that keep old versions from outliving a delete.

Lifecycle rules work in whole days, rounded to midnight UTC: they are a backstop. The one-hour
guarantee is ours (a recorded deadline per object and the sweeper, governance.storage.sweeper).
"""

from django.conf import settings

from governance.storage.objectstore import TEMPORARY_PREFIX, S3Backend, backend

LIFECYCLE_RULE_ID = "sightguard-temporary-objects-backstop"
VERSIONS_RULE_ID = "sightguard-noncurrent-versions"


class BucketNotConfigurable(Exception):
    pass


def lifecycle_rules() -> list[dict]:
    return [
        {
            "ID": LIFECYCLE_RULE_ID,
            "Filter": {"Prefix": TEMPORARY_PREFIX},
            "Status": "Enabled",
            "Expiration": {"Days": 1},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
        {
            # Whole bucket: a version made noncurrent by a delete or an overwrite goes after a day
            # (our deletes remove every version at once; this is the backstop), and so do uploads
            # left unfinished by a crash.
            "ID": VERSIONS_RULE_ID,
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
    ]


def versions_problems(*, versioning: str, rules: list[dict]) -> list[str]:
    """What is missing for deletes to be final on a bucket with versioning `versioning`."""
    if versioning not in {"Enabled", "Suspended"}:
        return []
    enabled = [r for r in rules if r.get("Status") == "Enabled" and not (r.get("Filter") or {}).get("Prefix", r.get("Prefix", ""))]
    problems = []
    if not any("NoncurrentVersionExpiration" in r for r in enabled):
        problems.append("no NoncurrentVersionExpiration rule for the whole bucket")
    if not any("AbortIncompleteMultipartUpload" in r for r in enabled):
        problems.append("no AbortIncompleteMultipartUpload rule for the whole bucket")
    return problems


def state(client, bucket: str) -> dict:
    """Versioning, Object Lock and lifecycle rules of the bucket, as it reports them."""
    from botocore.exceptions import ClientError

    versioning = client.get_bucket_versioning(Bucket=bucket).get("Status", "Off")
    try:
        lock = client.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
        object_lock = {"enabled": lock.get("ObjectLockEnabled") == "Enabled", "rule": lock.get("Rule")}
    except ClientError as exc:
        if _code(exc) not in {"ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration"}:
            raise
        object_lock = {"enabled": False, "rule": None}
    try:
        rules = client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    except ClientError as exc:
        if _code(exc) != "NoSuchLifecycleConfiguration":
            raise
        rules = []
    return {"versioning": versioning, "object_lock": object_lock, "lifecycle": rules,
            "problems": versions_problems(versioning=versioning, rules=rules)}


def encryption_rule() -> dict:
    if settings.S3_SSE == "aws:kms":
        default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": settings.S3_SSE_KMS_KEY_ID}
    else:
        default = {"SSEAlgorithm": "AES256"}
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]}


def configure(*, create: bool = False) -> dict:
    """Apply the lifecycle backstop and default encryption to S3_BUCKET; returns what is now set.

    Other lifecycle rules on the bucket are kept; ours are replaced by their IDs. Reports
    versioning and Object Lock (a locked version cannot be erased until its retention ends).
    """
    store = backend()
    if not isinstance(store, S3Backend):
        raise BucketNotConfigurable("S3_BUCKET is not set: the local object store has no bucket to configure")
    from botocore.exceptions import ClientError

    client, bucket = store.client, store.bucket
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if not create:
            raise BucketNotConfigurable(f"bucket {bucket!r} is not reachable ({_code(exc)}); --create makes it") from None
        extra = {}
        if settings.S3_REGION and settings.S3_REGION != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": settings.S3_REGION}
        client.create_bucket(Bucket=bucket, **extra)
    try:
        existing = client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    except ClientError as exc:
        if _code(exc) != "NoSuchLifecycleConfiguration":
            raise
        existing = []
    ours = {LIFECYCLE_RULE_ID, VERSIONS_RULE_ID}
    rules = [r for r in existing if r.get("ID") not in ours] + lifecycle_rules()
    client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=encryption_rule())
    return {
        **state(client, bucket),
        "encryption": client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"],
    }


def _code(exc) -> str:
    return str(exc.response.get("Error", {}).get("Code", "error"))
