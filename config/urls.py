"""The project's URLconf: the one place that composes the apps."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from compliance.views import home
from governance import health, metrics, views

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("governance.urls")),
    path("api/v1/", include("search.urls")),
    path("api/v1/", include("compliance.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("", include("compliance.protocols.urls")),  # DRP /v1/..., OpenDSR /opendsr/...
    path("objects/local/<str:token>", views.local_object, name="local-object"),
    path("downloads/<str:token>", views.download, name="download"),
    path("privacy/", include("compliance.page_urls")),
    # Operations: readiness (every dependency), liveness (the process answers), beat's schedule.
    path("health/", health.ReadinessView.as_view(), name="health"),
    path("health/live/", health.LivenessView.as_view(), name="health-live"),
    path("health/periodic/", health.PeriodicView.as_view(), name="health-periodic"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
