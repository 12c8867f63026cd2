"""Refusals with stable machine-readable codes, and the API's error body {"code", "detail"}."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler


class SightguardError(Exception):
    code = "error"
    status = 400
    detail = "The request was refused."

    def __init__(self, detail: str | None = None, *, code: str | None = None, status: int | None = None, **extra):
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail
        self.code = code or self.code
        self.status = status or self.status
        self.extra = extra


class NotFound(SightguardError):
    code, status, detail = "not_found", 404, "Not found."


def api_exception_handler(exc, context):
    if isinstance(exc, SightguardError):
        return Response({"code": exc.code, "detail": exc.detail, **exc.extra}, status=exc.status)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf.ValidationError):
        response.data = {"code": "invalid", "detail": "The request is invalid.", "fields": exc.detail}
    elif isinstance(exc, drf.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        response.data = {"code": code, "detail": str(exc.detail)}
    return response
