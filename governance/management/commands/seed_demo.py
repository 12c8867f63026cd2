from django.core.management.base import BaseCommand
from django.db import transaction

from governance.demo import DEMO
from governance.models import ApiKey, Membership, Tenant
from governance.tenancy import keys
from governance.tenancy.tenants import add_member, create_tenant


class Command(BaseCommand):
    help = "Create the demo tenant once (admin + member) and print how to sign in and call the API."

    def handle(self, **options):
        with transaction.atomic():
            tenant = Tenant.objects.filter(slug=DEMO["tenant"]).first()
            if tenant is None:
                tenant, _, _ = create_tenant(
                    slug=DEMO["tenant"], name="Demo company", admin_email=DEMO["admin_email"],
                    admin_password=DEMO["admin_password"], actor="cli",
                )
                membership, raw_key = add_member(tenant=tenant, email=DEMO["member_email"], actor="cli")
            else:
                # Keys are stored hashed, so a new run issues the member a fresh key and revokes the old.
                membership = Membership.objects.get(tenant=tenant, role=Membership.Role.MEMBER)
                for key in ApiKey.objects.filter(user=membership.user, revoked_at__isnull=True):
                    keys.revoke_key(key=key, actor="cli")
                _, raw_key = keys.issue_key(membership=membership, actor="cli")
        self.stdout.write(
            "\n  Sightguard is starting on http://127.0.0.1:8000\n"
            f"  Admin:   http://127.0.0.1:8000/admin/   {DEMO['admin_email']} / {DEMO['admin_password']}\n"
            f"  API docs: http://127.0.0.1:8000/api/docs/\n"
            f"  Member API key: {raw_key}\n"
            f"  Try: curl -H 'Authorization: Bearer {raw_key}' -F image=@photo.jpg "
            "http://127.0.0.1:8000/api/v1/search-jobs/\n"
        )
