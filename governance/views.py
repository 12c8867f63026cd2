from django.core import signing
from django.http import Http404, HttpResponse

from . import objectstore
from .models import StoredObject


def local_object(request, token):
    """Downloads for the embedded local object store; an expired or unknown link is a 404."""
    try:
        data, content_type = objectstore.read_local_link(token)
    except (signing.BadSignature, StoredObject.DoesNotExist, FileNotFoundError):
        raise Http404 from None
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
