from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self):
        from django.db.models.signals import post_migrate

        from governance import checks, gauges, metrics, personal_data  # noqa: F401  (registers checks and the data map)
        from governance.datamap import checks as datamap_checks  # noqa: F401
        from governance.datamap.defaults import on_post_migrate

        for source in gauges.SOURCES:
            metrics.register(source)

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="governance.retention_defaults")
