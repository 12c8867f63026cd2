from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance import audit
from governance.models import AuditLog, Tenant


class Command(BaseCommand):
    help = (
        "Recompute the audit logs from their events and check them against their own signed checkpoints "
        "and the --checkpoint files given; exits non-zero with one line saying what does not match."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="tenant slug (default: every log)")
        parser.add_argument("--checkpoint", action="append", default=[], help="a checkpoint kept earlier (repeatable)")

    def handle(self, *, tenant=None, checkpoint=(), **options):
        held = [Path(name).read_text() for name in checkpoint]
        audit.seal()
        if tenant:
            owner = Tenant.objects.filter(slug=tenant).first()
            if owner is None:
                raise CommandError(f"unknown_tenant: no tenant {tenant!r}")
            logs = [audit.log_for(tenant=owner, create=True)]
        else:
            logs = list(AuditLog.objects.order_by("pk"))
        try:
            results = audit.verify_logs(logs=logs, held=held)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        for result in results:
            if not result.ok:
                raise CommandError(f"audit log {result.origin} is not consistent: {result.reason}")
        total = sum(r.size for r in results)
        self.stdout.write(f"audit logs intact: {len(results)} log(s), {total} entries, checkpoints all consistent")
