from rest_framework import serializers

from governance.api.content import ContentFieldsMixin

from .documents import MAX_TEXT_CHARS, MAX_TITLE_CHARS
from .models import Document, SearchJob


class SearchJobCreateSerializer(serializers.Serializer):
    image = serializers.FileField()
    context = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SearchResultDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ("id", "title", "external_id")
        read_only_fields = fields


class SearchResultSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    document = SearchResultDocumentSerializer()


class SearchJobSerializer(ContentFieldsMixin, serializers.ModelSerializer):
    results = SearchResultSerializer(many=True, read_only=True)

    class Meta:
        model = SearchJob
        fields = (
            "id", "status", "description", "error_code", "has_context", "provider",
            "created_at", "started_at", "finished_at", "results",
        )
        read_only_fields = fields
        content_fields = ("description",)


class DocumentSerializer(serializers.ModelSerializer):
    title = serializers.CharField(max_length=MAX_TITLE_CHARS)
    text = serializers.CharField(max_length=MAX_TEXT_CHARS)
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        model = Document
        fields = ("id", "title", "text", "external_id", "created_at")
        read_only_fields = ("id", "created_at")
