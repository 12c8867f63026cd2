import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from governance.crypto import check_encryption_key  # noqa: E402

check_encryption_key()
