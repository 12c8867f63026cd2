"""Consent by API, for tenant admins: read the status and terms, accept the current version, revoke."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import consent
from governance.api.authentication import IsTenantAdmin


class SubprocessorSerializer(serializers.Serializer):
    provider = serializers.CharField(source="provider_key")
    company = serializers.CharField()
    service = serializers.CharField()
    purpose = serializers.CharField()
    trust_url = serializers.CharField()


class TermsSerializer(serializers.Serializer):
    version = serializers.CharField()
    published_at = serializers.DateTimeField()
    requires_reacceptance = serializers.BooleanField()
    text = serializers.CharField()
    subprocessors = SubprocessorSerializer(many=True, source="subprocessors.all")


class ConsentStatusSerializer(serializers.Serializer):
    status = serializers.CharField()
    current_version = serializers.CharField(allow_null=True)
    accepted_version = serializers.CharField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    providers = serializers.ListField(child=serializers.CharField(), source="provider_list")
    terms = TermsSerializer(source="current", allow_null=True)


class AcceptSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=32)


def _status_response(tenant):
    return Response(ConsentStatusSerializer(consent.consent_status(tenant=tenant)).data)


class ConsentView(APIView):
    """The tenant's consent to the generative-AI terms and the providers it covers."""

    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=ConsentStatusSerializer)
    def get(self, request):
        return _status_response(request.tenant)


class ConsentAcceptView(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(request=AcceptSerializer, responses=ConsentStatusSerializer)
    def post(self, request):
        form = AcceptSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        consent.accept(tenant=request.tenant, version=form.validated_data["version"], actor=request.user)
        return _status_response(request.tenant)


class ConsentRevokeView(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(request=None, responses=ConsentStatusSerializer)
    def post(self, request):
        consent.revoke(tenant=request.tenant, actor=request.user)
        return _status_response(request.tenant)
