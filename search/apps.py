from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Image search"

    def ready(self):
        from . import personal_data  # noqa: F401
