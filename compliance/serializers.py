from rest_framework import serializers

from .models import DataSubjectRequest


class FileRequestIn(serializers.Serializer):
    tenant = serializers.CharField(max_length=50)
    kind = serializers.CharField(max_length=20)
    regime = serializers.CharField(max_length=10)
    email = serializers.CharField(max_length=320)


class RequestStatusOut(serializers.ModelSerializer):
    """What anyone holding the reference may see: state and dates, nothing personal."""

    tenant = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = DataSubjectRequest
        fields = [
            "reference", "tenant", "kind", "regime", "status", "received_at", "verified_at", "due_at",
            "extended_at", "closed_at", "denial_reason", "overdue", "progress_done", "progress_total",
        ]
