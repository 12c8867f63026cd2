from django.urls import path

from governance.api import audit, consent

urlpatterns = [
    path("consent/", consent.ConsentView.as_view(), name="consent"),
    path("consent/accept", consent.ConsentAcceptView.as_view(), name="consent-accept"),
    path("consent/revoke", consent.ConsentRevokeView.as_view(), name="consent-revoke"),
    path("audit/checkpoint", audit.AuditCheckpointView.as_view(), name="audit-checkpoint"),
    path("audit/log", audit.AuditExportView.as_view(), name="audit-log"),
    path("audit/events/<int:event_id>/proof", audit.AuditInclusionProofView.as_view(), name="audit-inclusion-proof"),
    path("audit/consistency", audit.AuditConsistencyProofView.as_view(), name="audit-consistency-proof"),
    path("audit/verifier", audit.AuditVerifierView.as_view(), name="audit-verifier"),
]
