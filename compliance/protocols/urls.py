"""Mounted at the site root by config.urls: DRP under /v1/, OpenDSR under /opendsr/."""

from django.urls import path

from . import views

urlpatterns = [
    path("v1/agent/<str:agent_id>", views.drp_agent, name="drp-agent"),
    path("v1/data-rights-request", views.drp_exercise, name="drp-exercise"),
    path("v1/data-rights-request/", views.drp_exercise),  # the trailing slash of DRP < 0.9.3
    path("v1/data-rights-request/<str:request_id>", views.drp_request, name="drp-request"),
    path("opendsr/discovery", views.opendsr_discovery, name="opendsr-discovery"),
    path("opendsr/cert.pem", views.opendsr_certificate, name="opendsr-certificate"),
    path("opendsr/requests", views.opendsr_requests, name="opendsr-requests"),
    path("opendsr/requests/<str:subject_request_id>", views.opendsr_request, name="opendsr-request"),
]
