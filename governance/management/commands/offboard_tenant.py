import json

from django.core.management.base import BaseCommand, CommandError

from governance.tenancy import offboarding


class Command(BaseCommand):
    help = (
        "Delete all of a tenant's rows and bucket objects (every version), keep only what the law requires "
        "(anonymised), and print the certificate of deletion. A legal hold refuses it; running it again is harmless."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--dry-run", action="store_true", help="only count what would go and what would stay")

    def handle(self, *args, slug, dry_run=False, **options):
        try:
            result = (offboarding.inventory(slug=slug) if dry_run
                      else offboarding.offboard(slug=slug, actor="system:offboard_tenant"))
        except offboarding.OffboardingRefused as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write(json.dumps(result, indent=2, sort_keys=True))
