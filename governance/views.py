from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.http import require_GET

from governance.models import StoredObject
from governance.storage import objectstore


def local_object(request, token):
    """Downloads for the embedded local object store; an expired or unknown link is a 404."""
    try:
        data, content_type = objectstore.read_local_link(token)
    except (signing.BadSignature, StoredObject.DoesNotExist, FileNotFoundError):
        raise Http404 from None
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def download(request, token):
    """An app download link (safe to e-mail): for its hour, redirects to a fresh presigned URL."""
    try:
        url = objectstore.redeem_download(token)
    except signing.BadSignature:
        response = JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    except objectstore.DownloadExpired:
        response = JsonResponse({"code": "link_expired", "detail": "This link has expired."}, status=410)
    else:
        response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
