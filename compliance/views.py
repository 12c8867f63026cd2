"""The public privacy pages: file a request, confirm it from the e-mail, follow its status. Thin."""

import math

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from governance.errors import SightguardError

from . import intake, subject_status
from .models import DataSubjectRequest
from .protocols import gpc
from .throttles import FilingThrottle, FollowUpThrottle, retry_sentence

Kind = DataSubjectRequest.Kind

# What each choice means, in the subject's words (the form shows the sentence under each choice).
KINDS = [
    (Kind.ACCESS, "A copy of my data", "We send you a link to one archive of everything we hold about you, "
     "with a page that explains it."),
    (Kind.PORTABILITY, "My data in a machine-readable form", "The same archive, for moving your data to "
     "another service (JSON and CSV files)."),
    (Kind.OPT_OUT, "Stop selling or sharing my data", "Takes effect at once; no confirmation needed."),
    (Kind.ERASURE, "Erase my data", "We delete everything we hold about you. This cannot be undone; "
     "records the law obliges us to keep stay until that obligation ends."),
]
RESIDENCES = [
    ("eu", "In the European Union, the EEA, the United Kingdom or Switzerland",
     "Your request is answered under the GDPR: within one month."),
    ("california", "In California",
     "Your request is answered under the CCPA (California Consumer Privacy Act): within 45 days."),
    ("elsewhere", "Somewhere else",
     "We answer as the GDPR requires, the stricter of the two: within one month."),
]
FIELD_PROBLEMS = {"kind": "Choose what you ask for.", "residence": "Tell us where you live.",
                  "email": "Give a valid e-mail address, such as name@example.com."}


def _throttle_error(request, throttle) -> dict | None:
    if throttle.allow_request(request, None):
        return None
    wait = throttle.wait() or 1
    return {"code": "throttled", "detail": retry_sentence(wait), "retry_after": math.ceil(wait)}


def _secure(response, *, retry_after: int | None = None):
    response["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" and CSRF refuses the form.
    response["Referrer-Policy"] = "same-origin"
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _field_errors(values: dict) -> dict[str, str]:
    """The problems by field, in the form's order (the summary lists them so)."""
    regime = intake.RESIDENCES.get(values["residence"], DataSubjectRequest.Regime.GDPR)
    found = set(intake.problems(kind=values["kind"], regime=regime, email=values["email"]))
    if values["residence"] not in intake.RESIDENCES:
        found.add("residence")
    return {field: FIELD_PROBLEMS[field] for field in ("kind", "residence", "email") if field in found}


@never_cache
@require_http_methods(["GET", "POST"])
def request_form(request, tenant_slug):
    try:
        tenant = intake.tenant_for(tenant_slug)
    except SightguardError:
        raise Http404 from None
    context = {"tenant": tenant, "kinds": KINDS, "residences": RESIDENCES, "values": {}, "field_errors": {}}
    status, retry_after = 200, None
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in ("kind", "residence", "email")}
        context["values"] = values
        if error := _throttle_error(request, FilingThrottle()):
            context["error"], status, retry_after = error, 429, error["retry_after"]
        elif errors := _field_errors(values):
            context["field_errors"] = errors
            status = 400
        else:
            try:
                filed = intake.file_public(tenant_slug=tenant.slug, source=DataSubjectRequest.Source.FORM,
                                           kind=values["kind"], regime=intake.regime_for(values["residence"]),
                                           email=values["email"])
            except SightguardError as exc:
                context["error"] = {"code": exc.code, "detail": exc.detail}
                status = exc.status
            else:
                return redirect("privacy-status", tenant.slug, filed.reference)
    return _secure(render(request, "compliance/request_form.html", context, status=status), retry_after=retry_after)


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
    found = DataSubjectRequest.objects.select_related("tenant", "archive").filter(
        tenant__slug=tenant_slug, reference=reference
    ).first()
    if found is None:
        raise Http404
    context = {"request_": found}
    code, retry_after = 200, None
    if request.method == "POST":
        if error := _throttle_error(request, FollowUpThrottle()):
            context["error"], code, retry_after = error, 429, error["retry_after"]
        else:
            try:
                if request.POST.get("action") == "resend":
                    intake.resend_verification(reference=found.reference)
                    context["notice"] = "We sent the e-mail again. Open the newest one: earlier links no longer work."
                else:
                    intake.request_reissue(reference=found.reference)
                    context["notice"] = "We sent you an e-mail: confirm it to get a new download link."
                found.refresh_from_db()
            except SightguardError as exc:
                context["error"] = {"code": exc.code, "detail": exc.detail}
                code = exc.status
    context["view"] = subject_status.describe(request=found)
    return _secure(render(request, "compliance/status.html", context, status=code), retry_after=retry_after)


@require_http_methods(["GET"])
def home(request):
    """The site's front door: where each kind of visitor goes (names no organisation)."""
    return render(request, "compliance/home.html")
