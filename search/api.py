from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from governance import scoping

from . import pipeline
from .models import SearchJob
from .serializers import SearchJobCreateSerializer, SearchJobSerializer


class SearchJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Image searches: the member who created a job is the only one who reads it."""

    serializer_class = SearchJobSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no request tenant
            return SearchJob.objects.none()
        return scoping.for_tenant(SearchJob.objects.all(), self.request.tenant).filter(created_by=self.request.user)

    @extend_schema(request=SearchJobCreateSerializer, responses={202: SearchJobSerializer})
    def create(self, request):
        form = SearchJobCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["image"]
        job = pipeline.create_job(
            tenant=request.tenant,
            user=request.user,
            image_bytes=upload.read(),
            context=form.validated_data["context"],
        )
        return Response(SearchJobSerializer(job, context=self.get_serializer_context()).data, status=status.HTTP_202_ACCEPTED)
