import json

from django.core.management.base import BaseCommand, CommandError

from governance import audit
from governance.models import Tenant


class Command(BaseCommand):
    help = "Print the newest signed checkpoint of a log as one JSON document (sealing first if the log grew)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="tenant slug (default: the platform log)")

    def handle(self, *, tenant=None, **options):
        owner = None
        if tenant:
            owner = Tenant.objects.filter(slug=tenant).first()
            if owner is None:
                raise CommandError(f"unknown_tenant: no tenant {tenant!r}")
        checkpoint = audit.current_checkpoint(tenant=owner)
        if checkpoint is None:
            raise CommandError("empty_log: this log has no events yet")
        log = audit.log_for(tenant=owner)
        self.stdout.write(json.dumps(audit.checkpoint_document(checkpoint, log=log)))
