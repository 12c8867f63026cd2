"""API routes (mounted under /api/v1/ by config.urls); the public pages are in page_urls."""

from django.urls import path

from . import api

urlpatterns = [
    path("privacy-requests/", api.FileRequest.as_view(), name="privacy-request-file"),
    path("privacy-requests/verify/<str:token>/", api.VerifyRequest.as_view(), name="privacy-request-verify"),
    path("privacy-requests/<str:reference>/", api.RequestStatus.as_view(), name="privacy-request-status"),
    path("privacy-requests/<str:reference>/reissue/", api.ReissueExport.as_view(), name="privacy-request-reissue"),
]
