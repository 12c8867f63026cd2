from django.core.management.base import BaseCommand, CommandError

from governance.errors import SightguardError
from governance.tenancy.tenants import create_tenant


class Command(BaseCommand):
    help = "Create a tenant with its first admin; prints the admin's new API key alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--admin-password", default=None, help="to sign in to the admin (optional)")

    def handle(self, slug, admin_email, name, admin_password, **options):
        try:
            tenant, _, raw_key = create_tenant(
                slug=slug, name=name, admin_email=admin_email, admin_password=admin_password, actor="cli"
            )
        except SightguardError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stderr.write(f"Created tenant {tenant.slug} with its admin. Their API key (shown once):")
        self.stdout.write(raw_key)
