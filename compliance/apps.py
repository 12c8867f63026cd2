from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Data-subject requests"

    def ready(self):
        from . import personal_data  # noqa: F401
        from . import protocols; protocols.ready()  # noqa: E702  (issue 8)
