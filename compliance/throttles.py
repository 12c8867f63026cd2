"""Rate limits of the public privacy pages and API: REST_FRAMEWORK's "public" rate, per client.

Filing (the form, the filing and verification API) and following a request (the status page's
re-issue, the re-issue API) count apart, so checking on a request never uses up the right to file
one. A client is its address; an IPv6 client is its /64 network, the block one household or
device gets, so a client cannot step around the limit by changing the low bits of its address.
"""

import ipaddress
import math
from datetime import timedelta

from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle


def client_of(address: str) -> str:
    """The fair unit of counting: an IPv4 address, or an IPv6 address's /64 network."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip() or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class PublicThrottle(SimpleRateThrottle):
    """One count per client and scope, at the "public" rate; wait() says when to try again."""

    scope = "public"
    rate_setting = "public"

    def get_rate(self):
        return self.THROTTLE_RATES[self.rate_setting]

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_of(self.get_ident(request))}


class FilingThrottle(PublicThrottle):
    scope = "privacy_filing"


class FollowUpThrottle(PublicThrottle):
    scope = "privacy_follow_up"


def retry_sentence(seconds: float) -> str:
    """A person's answer to "when may I try again?" (the Retry-After header carries the seconds)."""
    seconds = max(1, math.ceil(seconds))
    at = timezone.now() + timedelta(seconds=seconds)
    if seconds < 90:
        span = f"{seconds} seconds"
    elif seconds < 5400:
        span = f"{math.ceil(seconds / 60)} minutes"
    else:
        span = f"{seconds / 3600:.0f} hours"
    return f"Too many requests came from your network. Try again in {span} (after {at:%H:%M} UTC)."
