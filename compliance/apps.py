from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Data-subject requests"

    def ready(self):
        from governance.tenancy import tenants

        from . import erasure, personal_data, protocols  # noqa: F401

        if erasure.flag_return not in tenants.IDENTITY_CHECKS:
            tenants.IDENTITY_CHECKS.append(erasure.flag_return)
        protocols.ready()
