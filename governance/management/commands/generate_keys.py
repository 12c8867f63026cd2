"""Print fresh values for every secret, in .env format: `python manage.py generate_keys >> .env`."""

from django.core.management.base import BaseCommand

from config.devkeys import env_lines


class Command(BaseCommand):
    help = "Print fresh values for every secret the settings require, as NAME=value lines for a .env file."

    def handle(self, *args, **options):
        for line in env_lines():
            self.stdout.write(line)
