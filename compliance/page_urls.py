"""The public privacy pages (mounted at /privacy/ by config.urls)."""

from django.urls import path

from . import views

urlpatterns = [
    path("verify/<str:token>/", views.verify, name="privacy-verify"),
    path("<slug:tenant_slug>/", views.request_form, name="privacy-form"),
    path("<slug:tenant_slug>/status/<str:reference>/", views.status, name="privacy-status"),
]
