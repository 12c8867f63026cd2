"""The project's URLs plus a probe admin for data-subject requests.

compliance has no admin on this branch; the probe shows that declaring `content_fields` on the
shared base is all a compliance admin needs to hide data subjects' e-mails.
"""

from django.contrib import admin
from django.urls import path

from compliance.models import DataSubjectRequest
from config.urls import urlpatterns as project_urlpatterns
from governance.admin.base import ReadOnlyAdmin

probe_site = admin.AdminSite(name="probe")


class DataSubjectRequestProbeAdmin(ReadOnlyAdmin):
    list_display = ("reference", "tenant", "kind", "status", "received_at")
    content_fields = ("email",)


probe_site.register(DataSubjectRequest, DataSubjectRequestProbeAdmin)

urlpatterns = [path("probe-admin/", probe_site.urls), *project_urlpatterns]
