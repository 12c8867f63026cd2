from django.core.management.base import BaseCommand, CommandError

from governance.errors import SightguardError
from governance.models import Membership, Tenant
from governance.tenancy.tenants import add_member


class Command(BaseCommand):
    help = "Add a member (or admin) to a tenant; prints their new API key alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", choices=Membership.Role.values, default=Membership.Role.MEMBER)
        parser.add_argument("--password", default=None, help="to sign in to the admin (admins only)")

    def handle(self, slug, email, role, password, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"tenant_not_found: no tenant {slug!r}")
        try:
            _, raw_key = add_member(tenant=tenant, email=email, role=role, password=password, actor="cli")
        except SightguardError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stderr.write(f"Added a {role} to {slug}. Their API key (shown once):")
        self.stdout.write(raw_key)
