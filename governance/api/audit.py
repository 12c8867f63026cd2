"""The tenant's audit log by API, for its admins: checkpoints, the export, proofs and the verifier.

Every view reads the log of the API key's tenant; there is no way to name another log, and an
event of another tenant is a 404.
"""

from pathlib import Path

from django.http import FileResponse, Http404, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import audit
from governance.api.authentication import IsTenantAdmin
from governance.errors import SightguardError
from governance.models import AuditCheckpoint, AuditEvent

SIZE = OpenApiParameter("size", int, description="a checkpoint's tree size (default: the newest)")


def _log(request):
    log = audit.log_for(tenant=request.tenant)
    if log is None:
        raise Http404
    return log


def _checkpoint(request, log) -> AuditCheckpoint:
    raw = request.query_params.get("size", "")
    checkpoints = AuditCheckpoint.objects.filter(log=log).order_by("-id")
    if raw:
        if not raw.isdigit():
            raise SightguardError("size is a whole number", code="invalid_size", status=400)
        checkpoints = checkpoints.filter(size=int(raw))
    checkpoint = checkpoints.first()
    if checkpoint is None:
        raise Http404
    return checkpoint


class AuditCheckpointView(APIView):
    """The newest signed checkpoint of the tenant's log (issued first if the log grew), or the one of `size`."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(parameters=[SIZE], responses=dict)
    def get(self, request):
        if not request.query_params.get("size"):
            audit.current_checkpoint(tenant=request.tenant)
        log = _log(request)
        return Response(audit.checkpoint_document(_checkpoint(request, log), log=log))


class AuditExportView(APIView):
    """The log up to a checkpoint as JSON Lines: what `audit_verifier.py --log` reads."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(parameters=[SIZE], responses={(200, "application/x-ndjson"): bytes})
    def get(self, request):
        log = _log(request)
        checkpoint = _checkpoint(request, log)
        response = StreamingHttpResponse(audit.export_lines(log=log, size=checkpoint.size), content_type="application/x-ndjson")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{checkpoint.size}.jsonl"'
        return response


class AuditInclusionProofView(APIView):
    """An event's entry and inclusion proof in a checkpoint of the tenant's log."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(parameters=[SIZE], responses=dict)
    def get(self, request, event_id: int):
        event = AuditEvent.objects.filter(pk=event_id, tenant=request.tenant).first()
        if event is None:
            raise Http404
        try:
            return Response(audit.inclusion_proof(event=event, checkpoint=_checkpoint(request, _log(request))))
        except LookupError:
            raise SightguardError("no checkpoint covers this event yet", code="not_yet_sealed", status=409) from None


class AuditConsistencyProofView(APIView):
    """The consistency proof between two checkpoints of the tenant's log (`old` and `new` tree sizes)."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(parameters=[OpenApiParameter("old", int), OpenApiParameter("new", int)], responses=dict)
    def get(self, request):
        log = _log(request)
        old, new = request.query_params.get("old", ""), request.query_params.get("new", "")
        if not (old.isdigit() and new.isdigit()):
            raise SightguardError("old and new are tree sizes", code="invalid_size", status=400)
        try:
            return Response(audit.consistency_proof(log=log, old_size=int(old), new_size=int(new)))
        except ValueError as exc:
            raise SightguardError(str(exc), code="invalid_size", status=400) from None


class AuditVerifierView(APIView):
    """The standalone verifier (Python, needs only `cryptography`)."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={(200, "text/x-python"): bytes})
    def get(self, request):
        path = Path(audit.tree.__file__)
        return FileResponse(path.open("rb"), as_attachment=True, filename="audit_verifier.py", content_type="text/x-python")
