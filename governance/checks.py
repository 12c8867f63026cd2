from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .crypto import check_encryption_key


@register()
def encryption_key_check(app_configs=None, **kwargs):
    try:
        check_encryption_key()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="sightguard.E001")]
    return []
