"""Status callbacks of both protocols, told by compliance.requests.status_changed after commit.

A change of a protocol request's status (as the protocol names it) writes one CallbackDelivery
per target URL, queued on commit; the Celery task posts it (capped retries with backoff, honouring
Retry-After) and records the outcome on the row. Payloads are the protocols' status objects: ids,
states and dates, never the subject's identity.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from compliance.models import CallbackDelivery, DataSubjectRequest

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 6
LOST_AFTER_SECONDS = 15 * 60  # well past the longest back-off (600 s) between two attempts


def check_url(url: str) -> str:
    """A callback URL we are willing to call: http(s), https unless PROTOCOL_CALLBACKS_ALLOW_HTTP."""
    if not isinstance(url, str) or len(url) > 500:
        raise ValueError("The callback URL is not valid.")
    parts = urlsplit(url)
    allow_http = getattr(settings, "PROTOCOL_CALLBACKS_ALLOW_HTTP", settings.DEBUG)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise ValueError("The callback URL must be an https URL without credentials.")
    if not allow_http and _internal(parts.hostname):
        raise ValueError("The callback URL must name a public host.")
    return url


def _internal(host: str) -> bool:
    """Loopback, private, link-local (cloud metadata) addresses and local names, written literally.
    Names that resolve to such addresses are not caught here (no DNS at intake): see docs."""
    import ipaddress

    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def on_status_change(sender, *, request: DataSubjectRequest, **kwargs) -> None:
    """Receiver of compliance.requests.status_changed: queue callbacks for protocol requests whose protocol
    status changed."""
    from compliance.models import DrpRequest, OpenDsrRequest

    from . import drp, opendsr

    deliveries = []
    with transaction.atomic():
        fresh = DataSubjectRequest.objects.filter(pk=request.pk).first()
        if fresh is None:
            return
        for link in DrpRequest.objects.select_for_update().filter(request=fresh):
            link.request = fresh
            state = drp.callback_state(fresh)
            if state == link.last_status_sent:
                continue
            link.last_status_sent = state
            link.save(update_fields=["last_status_sent"])
            if link.status_callback:
                deliveries.append(_queue(fresh, "drp", link.status_callback, drp.status_object(link)))
        for link in OpenDsrRequest.objects.select_for_update().select_related("controller").filter(request=fresh):
            link.request = fresh
            state = opendsr.opendsr_status(fresh)
            if state == link.last_status_sent:
                continue
            link.last_status_sent = state
            link.save(update_fields=["last_status_sent"])
            for url in link.status_callback_urls:
                payload = {**opendsr.status_body(link), "status_callback_url": url}
                deliveries.append(_queue(fresh, "opendsr", url, payload))
        for delivery in deliveries:
            transaction.on_commit(lambda pk=delivery.pk: _enqueue(pk))


def _queue(request, protocol, url, payload) -> CallbackDelivery:
    return CallbackDelivery.objects.create(
        tenant_id=request.tenant_id, request=request, protocol=protocol, url=url, payload=payload
    )


def _enqueue(delivery_id: int) -> None:
    from .tasks import deliver_callback

    deliver_callback.delay(delivery_id)


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def deliver(*, delivery_id: int) -> float | None:
    """One attempt. Returns None when done (delivered or given up), else seconds to wait before retrying."""
    from . import signatures

    delivery = CallbackDelivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.state != CallbackDelivery.State.PENDING:
        return None
    body = encode(delivery.payload)
    headers = {"Content-Type": "application/json", "User-Agent": "Sightguard-protocols/1"}
    if delivery.protocol == "opendsr":
        headers["X-OpenDSR-Processor-Domain"] = signatures.processor_domain()
        headers["X-OpenDSR-Signature"] = signatures.sign_rsa(body)
    status, error, retry_after = None, "", None
    try:
        check_url(delivery.url)
        http = urllib.request.Request(delivery.url, data=body, headers=headers, method="POST")
        with _opener().open(http, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except ValueError:
        error = "callback_url_refused"
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"http_{exc.code}"
        retry_after = _retry_after(exc.headers.get("Retry-After"))
    except (urllib.error.URLError, TimeoutError, OSError):
        error = "unreachable"
    attempts = delivery.attempts + 1
    fields = {"attempts": attempts, "last_http_status": status, "last_error": error}
    if status is not None and 200 <= status < 300:
        fields.update(state=CallbackDelivery.State.DELIVERED, delivered_at=timezone.now(), last_error="")
        wait = None
    elif attempts >= MAX_ATTEMPTS or error == "callback_url_refused" or _permanent(status):
        fields["state"] = CallbackDelivery.State.FAILED
        wait = None
    else:
        wait = max(retry_after or 0, min(600, 10 * 2 ** (attempts - 1)))
        fields["next_attempt_at"] = timezone.now() + timedelta(seconds=wait)
    CallbackDelivery.objects.filter(pk=delivery.pk, state=CallbackDelivery.State.PENDING).update(**fields)
    log.info("protocol callback %s attempt %s: %s", delivery.pk, attempts, error or status)
    return wait


def resend_lost(*, grace_seconds: int = LOST_AFTER_SECONDS) -> int:
    """Queue again the pending deliveries whose attempt is long overdue; returns how many."""
    overdue = CallbackDelivery.objects.filter(
        state=CallbackDelivery.State.PENDING, next_attempt_at__lt=timezone.now() - timedelta(seconds=grace_seconds)
    ).values_list("pk", flat=True)
    ids = list(overdue[:1000])
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def _permanent(status: int | None) -> bool:
    return bool(status) and 400 <= status < 500 and status not in (408, 429)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a callback is not followed elsewhere
        return None


def _opener():
    return urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def _retry_after(value) -> float | None:
    try:
        return min(3600.0, float(value))
    except (TypeError, ValueError):
        return None
