from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from governance.api.authentication import IsTenantAdmin, IsTenantMember
from governance.api.scoped import TenantScopedAPIMixin

from . import pipeline
from .documents import add_document, remove_document
from .models import Document, SearchJob, SearchResult
from .serializers import (
    DocumentSerializer,
    SearchJobCreateSerializer,
    SearchJobSerializer,
)


class DownloadLinkSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()


class SearchJobViewSet(TenantScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Image searches: the member who created a job is the only one who reads it."""

    queryset = SearchJob.objects.all()
    serializer_class = SearchJobSerializer
    parser_classes = [MultiPartParser, FormParser]

    def scope_queryset(self, queryset):
        results = SearchResult.objects.select_related("document").order_by("rank")
        return queryset.filter(created_by=self.request.user).prefetch_related(Prefetch("results", queryset=results))

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

    @extend_schema(request=None, responses={200: DownloadLinkSerializer})
    @action(detail=True, methods=["post"], url_path="retained-image-link")
    def retained_image_link(self, request, pk=None):
        """A one-hour link to the kept copy of the cleaned image (tenants that opted in only)."""
        link = pipeline.retained_image_link(job=self.get_object(), actor=request.user)
        return Response(DownloadLinkSerializer(link).data)


class DocumentViewSet(
    TenantScopedAPIMixin,
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """The tenant's document collection: members read it, tenant admins add and remove."""

    queryset = Document.objects.all()
    serializer_class = DocumentSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_permissions(self):
        admin_only = self.action in ("create", "destroy")
        return [IsTenantAdmin()] if admin_only else [IsTenantMember()]

    @extend_schema(request=DocumentSerializer, responses={201: DocumentSerializer})
    def create(self, request):
        form = DocumentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        document = add_document(tenant=request.tenant, actor=request.user, **form.validated_data)
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        remove_document(document=instance, actor=self.request.user)
