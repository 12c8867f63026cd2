from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin on the site that asks the operator for a second factor."""

    default = False
    default_site = "governance.admin_site.AdminSite"


class GovernanceConfig(AppConfig):
    name = "governance"
    default = True
    verbose_name = "Governance"

    def ready(self):
        from django.db.models.signals import post_migrate

        from governance import checks, gauges, metrics, personal_data  # noqa: F401  (registers checks and the data map)
        from governance.datamap import checks as datamap_checks  # noqa: F401
        from governance.datamap.defaults import on_post_migrate

        for source in gauges.SOURCES:
            metrics.register(source)

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="governance.retention_defaults")
