from django.core.management.base import BaseCommand, CommandError

from governance.errors import SightguardError
from governance.tenancy.operators import add_operator


class Command(BaseCommand):
    help = "Make an account the platform operator (a superuser of the admin): publishes terms, sets platform defaults."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True, help="to sign in to the admin")

    def handle(self, email, password, **options):
        try:
            _, created = add_operator(email=email, password=password, actor="cli")
        except SightguardError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from None
        self.stdout.write("operator account created" if created else "operator account updated (password set)")
