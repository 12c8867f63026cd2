from rest_framework import serializers

from governance.api_content import ContentFieldsMixin

from .models import SearchJob


class SearchJobCreateSerializer(serializers.Serializer):
    image = serializers.FileField()
    context = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SearchJobSerializer(ContentFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = SearchJob
        fields = ("id", "status", "description", "error_code", "has_context", "provider", "created_at", "started_at", "finished_at")
        read_only_fields = fields
        content_fields = ("description",)
