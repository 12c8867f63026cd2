from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from compliance import erasure, erasure_ledger
from governance.models import Tenant


class Command(BaseCommand):
    help = (
        "After a database restore: re-apply every erasure in the ledger (object store) that the database "
        "does not reflect. Idempotent; prints what it did."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this tenant's entries (slug)")

    def handle(self, *args, tenant=None, **options):
        tenant_id = None
        if tenant:
            tenant_id = Tenant.objects.filter(slug=tenant).values_list("pk", flat=True).first()
            if tenant_id is None:
                raise CommandError(f"tenant_unknown: no tenant {tenant!r}")
        try:
            entries = erasure_ledger.read_all(tenant_id=tenant_id)  # all read before anything is done
        except erasure_ledger.LedgerUnreadable as exc:
            raise CommandError(f"{exc.code}: {exc}; nothing was replayed") from None
        outcomes = Counter()
        for entry in entries:
            result = erasure.replay(entry=entry)
            outcomes[result.outcome] += 1
            if result.outcome != "up_to_date":
                detail = f" ({result.rows} rows, {result.objects} objects)" if result.outcome == "reapplied" else ""
                self.stdout.write(f"{result.reference} {result.tenant}: {result.outcome}{detail}")
        summary = ", ".join(f"{n} {name}" for name, n in sorted(outcomes.items())) or "nothing"
        self.stdout.write(f"ledger entries: {len(entries)}; {summary}")
