"""Mounted at the site root by config.urls: DRP under /v1/, OpenDSR under /opendsr/v2/.

OpenDSR 3.4: URLs carry the API's major version. The unversioned paths of earlier releases answer
308 (method and body kept) to the same path under /opendsr/v2/.
"""

from django.http.response import HttpResponseRedirectBase
from django.urls import path, reverse

from . import views


class _PermanentRedirect(HttpResponseRedirectBase):
    status_code = 308


def _moved(name: str):
    def view(request, **kwargs):
        target = reverse(name, kwargs=kwargs)
        query = request.META.get("QUERY_STRING", "")
        return _PermanentRedirect(target + (f"?{query}" if query else ""))

    return view


urlpatterns = [
    path("v1/agent/<str:agent_id>", views.drp_agent, name="drp-agent"),
    path("v1/data-rights-request", views.drp_exercise, name="drp-exercise"),
    path("v1/data-rights-request/", views.drp_exercise),  # the trailing slash of DRP < 0.9.3
    path("v1/data-rights-request/<str:request_id>", views.drp_request, name="drp-request"),
    path("opendsr/v2/discovery", views.opendsr_discovery, name="opendsr-discovery"),
    path("opendsr/v2/cert.pem", views.opendsr_certificate, name="opendsr-certificate"),
    path("opendsr/v2/requests", views.opendsr_requests, name="opendsr-requests"),
    path("opendsr/v2/requests/<str:subject_request_id>", views.opendsr_request, name="opendsr-request"),
    path("opendsr/discovery", _moved("opendsr-discovery")),
    path("opendsr/cert.pem", _moved("opendsr-certificate")),
    path("opendsr/requests", _moved("opendsr-requests")),
    path("opendsr/requests/<str:subject_request_id>", _moved("opendsr-request")),
]
