from django.conf import settings
from django.core.checks import Error, register
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured

from governance.crypto import check_encryption_key


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
