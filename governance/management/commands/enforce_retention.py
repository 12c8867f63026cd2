from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from governance.datamap.categories import retention_choices
from governance.errors import SightguardError
from governance.models import Tenant
from governance.retention import enforce


class Command(BaseCommand):
    help = "Apply the retention rules now: delete or anonymise what is older than allowed (legal holds are spared)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would go; change nothing.")
        parser.add_argument("--tenant", metavar="SLUG", help="Only this tenant's data.")
        parser.add_argument("--category", metavar="NAME", choices=[c for c, _ in retention_choices()], help="Only this category.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *, dry_run, tenant, category, no_progress, **options):
        scope = None
        if tenant:
            scope = Tenant.objects.filter(slug=tenant).first()
            if scope is None:
                raise CommandError(f"retention_unknown_tenant: no tenant {tenant!r}")
        bar = tqdm(unit=" rows", desc="would go" if dry_run else "retention", disable=no_progress, file=self.stderr._out)

        def progress(category_name, n):
            bar.set_postfix_str(category_name, refresh=False)
            bar.update(n)

        try:
            report = enforce.enforce(
                dry_run=dry_run, tenant=scope, category=category, actor="system:enforce_retention", progress=progress
            )
        except SightguardError as exc:
            raise CommandError(f"{exc.code}: {exc.detail}") from exc
        finally:
            bar.close()
        run = report.run
        verb = "would go" if dry_run else "processed"
        self.stdout.write(f"retention run #{run.pk}: {report.total} rows {verb} in {run.duration_seconds:.2f} s")
        for cat, per_tenant in sorted(report.counts.items()):
            for tenant_key, by_action in sorted(per_tenant.items()):
                actions = ", ".join(f"{k} {v}" for k, v in sorted(by_action.items()))
                self.stdout.write(f"  {cat:<20} tenant {tenant_key:<10} {actions}")
        if report.errors:
            for err in report.errors:
                self.stderr.write(f"  error in {err['target']} (tenant {err['tenant']}): {err['error']}")
            raise CommandError(f"retention run #{run.pk} finished with {len(report.errors)} error(s)")
