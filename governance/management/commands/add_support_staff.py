from django.core.management.base import BaseCommand, CommandError

from governance.errors import SightguardError
from governance.support import grants


class Command(BaseCommand):
    help = "Make an account support staff: it may sign in to the admin and ask tenants for access."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", default=None, help="to sign in to the admin")

    def handle(self, email, password, **options):
        try:
            user = grants.add_support_staff(email=email, password=password, actor="cli")
        except SightguardError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write(f"user #{user.pk} is support staff")
