"""Bucket-level settings: the 1-day lifecycle backstop on temporary prefixes and default encryption.

Lifecycle rules work in whole days, rounded to midnight UTC: they are a backstop. The one-hour
guarantee is ours (a recorded deadline per object and the sweeper, governance.storage.sweeper).
"""

from django.conf import settings

from governance.storage.objectstore import TEMPORARY_PREFIX, S3Backend, backend

LIFECYCLE_RULE_ID = "sightguard-temporary-objects-backstop"


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
        }
    ]


def encryption_rule() -> dict:
    if settings.S3_SSE == "aws:kms":
        default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": settings.S3_SSE_KMS_KEY_ID}
    else:
        default = {"SSEAlgorithm": "AES256"}
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]}


def configure(*, create: bool = False) -> dict:
    """Apply the lifecycle backstop and default encryption to S3_BUCKET; returns what is now set.

    Other lifecycle rules on the bucket are kept; ours is replaced by its ID.
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
    rules = [r for r in existing if r.get("ID") != LIFECYCLE_RULE_ID] + lifecycle_rules()
    client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=encryption_rule())
    return {
        "lifecycle": client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
        "encryption": client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"],
    }


def _code(exc) -> str:
    return str(exc.response.get("Error", {}).get("Code", "error"))
