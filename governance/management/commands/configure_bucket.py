from django.core.management.base import BaseCommand, CommandError

from governance.storage import bucket


class Command(BaseCommand):
    help = "Set the lifecycle backstops (tmp/, noncurrent versions, unfinished uploads) and default encryption; report versioning and Object Lock."

    def add_arguments(self, parser):
        parser.add_argument("--create", action="store_true", help="create the bucket when it does not exist")

    def handle(self, *args, create=False, **options):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            result = bucket.configure(create=create)
        except bucket.BucketNotConfigurable as exc:
            raise CommandError(str(exc)) from None
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(f"the object store refused: {exc}") from None
        algorithm = result["encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        self.stdout.write(
            f"lifecycle: objects under {bucket.TEMPORARY_PREFIX} expire after 1 day (backstop); "
            f"default encryption: {algorithm}"
        )
        lock = result["object_lock"]
        self.stdout.write(
            f"versioning: {result['versioning']}; noncurrent versions expire after 1 day, unfinished uploads are "
            f"aborted after 1 day; object lock: {'on' if lock['enabled'] else 'off'}"
            + (f" (default retention {lock['rule']})" if lock["enabled"] and lock["rule"] else "")
        )
        if lock["enabled"]:
            self.stderr.write("Object Lock is on: locked versions cannot be erased until their retention ends; "
                              "proofs of erasure report them as locked.")
