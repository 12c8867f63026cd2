from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from governance.demo import DEMO
from governance.models import ApiKey, Membership, Tenant, User
from governance.tenancy import keys
from governance.tenancy.operators import add_operator
from governance.tenancy.tenants import add_member, create_tenant
from search.demo import DOCUMENTS
from search.documents import add_document
from search.models import Document


def _mail_goes() -> str:
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend == "filebased":
        return f"files in {settings.EMAIL_FILE_PATH}/ (one per message)"
    if backend == "console":
        return "this console"
    if backend == "smtp":
        return f"the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return settings.EMAIL_BACKEND


class Command(BaseCommand):
    help = ("Create the demo once (operator, tenant with admin, member and documents) and print how to sign in, "
            "call the API, file a privacy request and read the mail.")

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, base_url, **options):
        base = base_url.rstrip("/")
        with transaction.atomic():
            operator = None
            if not User.objects.filter(is_superuser=True).exists():
                operator, _ = add_operator(email=DEMO["operator_email"], password=DEMO["operator_password"], actor="cli")
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
            if not Document.objects.filter(tenant=tenant).exists():
                for title, text in DOCUMENTS:
                    add_document(tenant=tenant, actor="cli", title=title, text=text)
        operators = [u.email for u in User.objects.filter(is_superuser=True).order_by("pk")]
        if operator is not None:
            operator_line = f"{DEMO['operator_email']} / {DEMO['operator_password']}  (just created)"
        elif DEMO["operator_email"] in operators:
            operator_line = f"{DEMO['operator_email']} / {DEMO['operator_password']}  (unless you changed it)"
        else:
            operator_line = f"{', '.join(operators)} (your own password)"
        self.stdout.write(
            f"\n  Sightguard is starting on {base}/\n"
            f"  Admin:          {base}/admin/\n"
            f"    operator:     {operator_line}\n"
            f"    tenant admin: {DEMO['admin_email']} / {DEMO['admin_password']}\n"
            f"    (another operator: python manage.py add_operator --email ... --password ...)\n"
            f"  Privacy page:   {base}/privacy/{tenant.slug}/  (data subjects file requests here, no account)\n"
            f"  Mail goes to:   {_mail_goes()}\n"
            f"  API docs:       {base}/api/docs/\n"
            f"  Member API key: {raw_key}\n"
            f"  Try: curl -H 'Authorization: Bearer {raw_key}' -F image=@photo.jpg {base}/api/v1/search-jobs/\n"
        )
