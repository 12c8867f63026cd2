from django.urls import path

from . import api

urlpatterns = [
    path("consent/", api.ConsentView.as_view(), name="consent"),
    path("consent/accept", api.ConsentAcceptView.as_view(), name="consent-accept"),
    path("consent/revoke", api.ConsentRevokeView.as_view(), name="consent-revoke"),
]
