from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Image search"

    def ready(self):
        from governance import metrics

        from . import gauges, personal_data  # noqa: F401

        metrics.register(gauges.jobs_by_status)
