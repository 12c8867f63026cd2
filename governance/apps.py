from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self):
        from governance import (  # noqa: F401  (registers checks and the data map)
            checks,
            personal_data,
            retention_tasks,  # noqa: F401  (registers the hourly retention task)
        )
