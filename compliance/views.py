"""The public privacy pages: file a request, confirm it from the e-mail, follow its status. Thin."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from governance.errors import SightguardError

from . import intake
from .models import DataSubjectRequest
from .protocols import gpc
from .throttles import PublicIntakeThrottle

KINDS = [(k, DataSubjectRequest.Kind(k).label) for k in intake.PUBLIC_KINDS]
REGIMES = DataSubjectRequest.Regime.choices


def _throttled(request) -> bool:
    return not PublicIntakeThrottle().allow_request(request, None)


def _secure(response):
    response["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" and CSRF refuses the form.
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def request_form(request, tenant_slug):
    try:
        tenant = intake.tenant_for(tenant_slug)
    except SightguardError:
        raise Http404 from None
    context = {"tenant": tenant, "kinds": KINDS, "regimes": REGIMES, "values": {}}
    status = 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("kind", "regime", "email")}
        context["values"] = values
        if _throttled(request):
            context["error"] = {"code": "throttled", "detail": "Too many requests from here. Try again later."}
            status = 429
        else:
            try:
                filed = intake.file_public(tenant_slug=tenant.slug, source=DataSubjectRequest.Source.FORM, **values)
            except SightguardError as exc:
                context["error"] = {"code": exc.code, "detail": exc.detail}
                status = exc.status
            else:
                return redirect("privacy-status", tenant.slug, filed.reference)
    return _secure(render(request, "compliance/request_form.html", context, status=status))


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request, token):
    """GET shows a button (mail scanners that prefetch links do not use the link up); POST confirms."""
    if request.method == "GET":
        return _secure(render(request, "compliance/verify.html", {"token": token}))
    try:
        confirmed = intake.verify(token=token)
    except SightguardError as exc:
        return _secure(render(request, "compliance/verify.html", {"error": exc}, status=exc.status))
    # The subject has just proved who they are: a Global Privacy Control signal now counts.
    gpc.honour_signal(request, tenant=confirmed.tenant, email=confirmed.email)
    return redirect("privacy-status", confirmed.tenant.slug, confirmed.reference)


@never_cache
@require_http_methods(["GET", "POST"])
def status(request, tenant_slug, reference):
    found = DataSubjectRequest.objects.select_related("tenant").filter(
        tenant__slug=tenant_slug, reference=reference
    ).first()
    if found is None:
        raise Http404
    context = {"request_": found}
    code = 200
    if request.method == "POST":
        if _throttled(request):
            context["error"] = {"code": "throttled", "detail": "Too many requests from here. Try again later."}
            code = 429
        else:
            try:
                intake.request_reissue(reference=found.reference)
                context["notice"] = "We sent you an e-mail: confirm it to get a new download link."
            except SightguardError as exc:
                context["error"] = {"code": exc.code, "detail": exc.detail}
                code = exc.status
    context["can_reissue"] = (
        found.kind in (DataSubjectRequest.Kind.ACCESS, DataSubjectRequest.Kind.PORTABILITY)
        and found.status == DataSubjectRequest.Status.FULFILLED
    )
    return _secure(render(request, "compliance/status.html", context, status=code))
