"""Print fresh values for every secret, in .env format: `python manage.py generate_keys >> .env`."""

from django.core.management.base import BaseCommand

from config.devkeys import new_keys


class Command(BaseCommand):
    help = "Print fresh values for every secret the settings require, as NAME=value lines for a .env file."

    def handle(self, *args, **options):
        for name, value in new_keys().items():
            self.stdout.write(f"{name}={value}")
