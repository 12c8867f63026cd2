"""DRF authentication by `Authorization: Bearer <api key>`; resolves user, tenant and role once."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from governance import logs
from governance.crypto import bearer_token
from governance.models import Membership
from governance.tenancy.keys import resolve_key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        raw = bearer_token(authentication.get_authorization_header(request).decode("latin-1"))
        if not raw:
            return None
        key = resolve_key(raw)
        membership = (
            Membership.objects.filter(tenant_id=key.tenant_id, user_id=key.user_id).first() if key else None
        )
        if key is None or membership is None or not key.user.is_active:
            raise exceptions.AuthenticationFailed("The API key is not valid.", code="invalid_api_key")
        request.tenant = key.tenant
        logs.bind(tenant_id=key.tenant_id)
        request.membership = membership
        return key.user, key

    def authenticate_header(self, request):
        return "Bearer"


class IsTenantMember(permissions.BasePermission):
    def has_permission(self, request, view):
        return getattr(request, "membership", None) is not None


class IsTenantAdmin(permissions.BasePermission):
    message = "Only an admin of the tenant may do this."
    code = "admin_required"

    def has_permission(self, request, view):
        membership = getattr(request, "membership", None)
        return membership is not None and membership.role == Membership.Role.ADMIN


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A tenant member's API key."}
