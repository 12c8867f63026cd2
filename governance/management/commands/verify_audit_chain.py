from django.core.management.base import BaseCommand, CommandError

from governance.audit import verify_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exits non-zero naming the first bad row."

    def handle(self, **options):
        report = verify_chain()
        if not report.ok:
            where = f"row {report.first_bad_id}" if report.first_bad_id else "the end of the chain"
            raise CommandError(f"audit chain broken at {where}: {report.reason} ({report.checked} rows intact before it)")
        self.stdout.write(f"audit chain intact: {report.checked} rows")
