"""Thin views: parse the HTTP request, authorise, call one function of drp.py / opendsr.py, render."""

import json

from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from . import drp, opendsr, signatures
from .errors import DrpError, OpenDsrError, PairingRefused


def _drp_error(exc: DrpError) -> JsonResponse:
    return JsonResponse(exc.body(), status=exc.status)


# --- DRP ------------------------------------------------------------------------------------------


@csrf_exempt
@require_http_methods(["GET", "POST"])
def drp_agent(request, agent_id: str):
    if request.method == "POST":
        try:
            agent, token = drp.pair(agent_id=agent_id, body=request.body)
        except PairingRefused:
            return HttpResponse(status=403)  # 2.05: no body
        return JsonResponse({"agent-id": agent.agent_id, "token": token})
    try:
        agent = drp.agent_for_token(request.headers.get("Authorization", ""))
        drp.check_agent(agent=agent, agent_id=agent_id)
    except DrpError as exc:
        return _drp_error(exc)
    return JsonResponse({})


@csrf_exempt
@require_http_methods(["POST"])
def drp_exercise(request):
    try:
        agent = drp.agent_for_token(request.headers.get("Authorization", ""))
        link = drp.exercise(agent=agent, body=request.body)
    except DrpError as exc:
        return _drp_error(exc)
    return JsonResponse(drp.status_object(link))


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def drp_request(request, request_id: str):
    try:
        agent = drp.agent_for_token(request.headers.get("Authorization", ""))
        if request.method == "DELETE":
            link = drp.revoke(agent=agent, request_id=request_id, body=request.body)
        else:
            link = drp.find(agent=agent, request_id=request_id)
    except DrpError as exc:
        return _drp_error(exc)
    return JsonResponse(drp.status_object(link))


# --- OpenDSR --------------------------------------------------------------------------------------


def _signed(payload: dict, status: int = 200) -> HttpResponse:
    body = json.dumps(payload, separators=(",", ":")).encode()
    response = HttpResponse(body, status=status, content_type="application/json")
    for name, value in opendsr.signed_headers(body).items():
        response[name] = value
    return response


def _opendsr_error(exc: OpenDsrError) -> HttpResponse:
    response = JsonResponse(exc.body(), status=exc.status)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def opendsr_discovery(request):
    url = request.build_absolute_uri(reverse("opendsr-certificate"))
    return _signed(opendsr.discovery(certificate_url=url))


@require_GET
def opendsr_certificate(request):
    _, certificate = signatures.processor_keys()
    return HttpResponse(certificate, content_type="application/x-pem-file")


@csrf_exempt
@require_http_methods(["POST"])
def opendsr_requests(request):
    try:
        controller = opendsr.controller_for_token(request.headers.get("Authorization", ""))
        link = opendsr.submit(controller=controller, body=request.body)
    except OpenDsrError as exc:
        return _opendsr_error(exc)
    return _signed(opendsr.created_body(link, request.body), status=201)


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def opendsr_request(request, subject_request_id: str):
    try:
        controller = opendsr.controller_for_token(request.headers.get("Authorization", ""))
        if request.method == "DELETE":
            link, received = opendsr.cancel(controller=controller, subject_request_id=subject_request_id)
            return _signed(opendsr.cancelled_body(link, received), status=202)
        link = opendsr.find(controller=controller, subject_request_id=subject_request_id)
    except OpenDsrError as exc:
        return _opendsr_error(exc)
    return _signed(opendsr.status_body(link))
