from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Data-subject requests"

    def ready(self):
        from governance import metrics
        from governance.tenancy import tenants

        from . import gauges

        metrics.register(gauges.requests_due)

        from . import console, erasure, personal_data, requests  # noqa: F401  (personal_data declares into the data map; console adds the request queue to the admin's home)
        from .protocols import admin, callbacks  # noqa: F401  (admin registers the protocol pages)

        tenants.member_joined.connect(erasure.on_member_joined, dispatch_uid="compliance.flag_returning_identity")
        requests.status_changed.connect(callbacks.on_status_change, dispatch_uid="compliance.protocol_callbacks")
