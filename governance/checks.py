from django.conf import settings
from django.core.checks import Error, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLResolver, get_resolver
from rest_framework.views import APIView

from governance.crypto import check_encryption_key
from governance.tenancy import scoping

# Apps whose admins the checks hold to the bases (Django's and third parties' have their own rules).
OWN_APPS = {"governance", "search", "compliance"}


@register()
def encryption_key_check(app_configs=None, **kwargs):
    try:
        check_encryption_key()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="sightguard.E001")]
    return []


@register(deploy=False)
def development_keys_check(app_configs=None, **kwargs):
    if not settings.DEVELOPMENT_KEYS_IN_USE:
        return []
    names = ", ".join(settings.DEVELOPMENT_KEYS_IN_USE)
    return [
        CheckWarning(
            f"SIGHTGUARD IS USING GENERATED DEVELOPMENT KEYS ({names}) from {settings.DEV_KEYS_FILE}.",
            hint="Never use them in production: set the keys in the environment (DEBUG off refuses these).",
            id="sightguard.W001",
        )
    ]


def admin_scoping_errors(*, site) -> list[Error]:
    """An admin of a tenant-owned model that does not derive from TenantScopedAdmin (E201), or of
    a platform model of ours that is neither scoped nor OperatorOnlyAdmin (E203)."""
    from governance.admin.base import OperatorOnlyAdmin, TenantScopedAdmin

    errors = []
    for model, model_admin in site._registry.items():
        name = f"{type(model_admin).__module__}.{type(model_admin).__qualname__}"
        if scoping.is_tenant_owned(model):
            if not isinstance(model_admin, TenantScopedAdmin):
                errors.append(
                    Error(
                        f"{name} shows the tenant-owned model {model._meta.label} without tenant scoping.",
                        hint="Derive it from governance.admin.base.TenantScopedAdmin (ReadOnlyAdmin, TenantPageAdmin).",
                        obj=type(model_admin),
                        id="sightguard.E201",
                    )
                )
        elif model._meta.app_label in OWN_APPS and not isinstance(model_admin, (TenantScopedAdmin, OperatorOnlyAdmin)):
            errors.append(
                Error(
                    f"{name} shows the platform model {model._meta.label} with hand-written permissions.",
                    hint="Derive it from governance.admin.base.OperatorOnlyAdmin and declare operator_can.",
                    obj=type(model_admin),
                    id="sightguard.E203",
                )
            )
    return errors


def _api_views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns)
            continue
        view_class = getattr(pattern.callback, "cls", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            yield view_class


def _api_model(view_class):
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        return queryset.model
    serializer = getattr(view_class, "serializer_class", None)
    return getattr(getattr(serializer, "Meta", None), "model", None)


def api_scoping_errors(*, urlpatterns) -> list[Error]:
    """A DRF view over a tenant-owned model that does not use TenantScopedAPIMixin (E202)."""
    from governance.api.scoped import TenantScopedAPIMixin

    errors, seen = [], set()
    for view_class in _api_views(urlpatterns):
        model = _api_model(view_class)
        if view_class in seen or model is None or not scoping.is_tenant_owned(model):
            continue
        seen.add(view_class)
        if not issubclass(view_class, TenantScopedAPIMixin):
            errors.append(
                Error(
                    f"{view_class.__module__}.{view_class.__qualname__} serves the tenant-owned model "
                    f"{model._meta.label} without tenant scoping.",
                    hint="Derive it from governance.api.scoped.TenantScopedAPIMixin.",
                    obj=view_class,
                    id="sightguard.E202",
                )
            )
    return errors


@register()
def tenant_scoping_check(app_configs=None, **kwargs):
    from django.contrib import admin

    return admin_scoping_errors(site=admin.site) + api_scoping_errors(urlpatterns=get_resolver().url_patterns)


@register(deploy=True)
def bucket_versions_check(app_configs=None, **kwargs):
    """`check --deploy`: a versioned bucket without the rules that end old versions keeps erased bytes."""
    if not settings.S3_BUCKET:
        return []
    from botocore.exceptions import BotoCoreError, ClientError

    from governance.storage import bucket, objectstore

    store = objectstore.backend()
    try:
        found = bucket.state(store.client, store.bucket)
    except (BotoCoreError, ClientError) as exc:
        return [CheckWarning(f"Could not read the bucket's versioning and lifecycle: {type(exc).__name__}.",
                             id="sightguard.W011")]
    return [
        CheckWarning(
            f"THE BUCKET IS VERSIONED ({found['versioning']}) WITH {problem.upper()}: deleted objects may stay "
            "readable by version id.",
            hint="Run `python manage.py configure_bucket`.",
            id="sightguard.W010",
        )
        for problem in found["problems"]
    ]
