from django.core.management.base import BaseCommand, CommandError

from governance.storage import bucket


class Command(BaseCommand):
    help = "Set the 1-day lifecycle backstop on tmp/ and default encryption on S3_BUCKET."

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
