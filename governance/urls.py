from django.urls import path

from governance.api import consent

urlpatterns = [
    path("consent/", consent.ConsentView.as_view(), name="consent"),
    path("consent/accept", consent.ConsentAcceptView.as_view(), name="consent-accept"),
    path("consent/revoke", consent.ConsentRevokeView.as_view(), name="consent-revoke"),
]
