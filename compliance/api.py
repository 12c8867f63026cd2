"""The public JSON API of data-subject requests (no account): thin, calls compliance.intake."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ErrorDetail, Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.errors import NotFound

from . import intake
from .models import DataSubjectRequest
from .protocols import gpc
from .serializers import FileRequestIn, RequestStatusOut
from .throttles import FilingThrottle, FollowUpThrottle, retry_sentence


class PublicAPIView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def throttled(self, request, wait):
        """429 with Retry-After (seconds) and a sentence a person can act on."""
        refused = Throttled(wait=wait)
        refused.detail = ErrorDetail(retry_sentence(wait or 1), code="throttled")
        raise refused


class FileRequest(PublicAPIView):
    throttle_classes = [FilingThrottle]

    @extend_schema(request=FileRequestIn, responses={202: RequestStatusOut})
    def post(self, request):
        data = FileRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        filed = intake.file_public(
            tenant_slug=data.validated_data["tenant"],
            kind=data.validated_data["kind"],
            regime=data.validated_data["regime"],
            email=data.validated_data["email"],
            source=DataSubjectRequest.Source.API,
        )
        return Response(RequestStatusOut(filed).data, status=status.HTTP_202_ACCEPTED)


class RequestStatus(PublicAPIView):
    @extend_schema(responses={200: RequestStatusOut})
    def get(self, request, reference):
        found = DataSubjectRequest.objects.select_related("tenant").filter(reference=reference).first()
        if found is None:
            raise NotFound()
        return Response(RequestStatusOut(found).data)


class VerifyRequest(PublicAPIView):
    throttle_classes = [FilingThrottle]

    @extend_schema(request=None, responses={200: RequestStatusOut})
    def post(self, request, token):
        confirmed = intake.verify(token=token)
        gpc.honour_signal(request, tenant=confirmed.tenant, email=confirmed.email)  # the subject is known now
        return Response(RequestStatusOut(confirmed).data)


class ReissueExport(PublicAPIView):
    throttle_classes = [FollowUpThrottle]

    @extend_schema(request=None, responses={202: RequestStatusOut})
    def post(self, request, reference):
        return Response(RequestStatusOut(intake.request_reissue(reference=reference)).data, status=status.HTTP_202_ACCEPTED)
