"""Rate limit of the public intake (form and API alike): REST_FRAMEWORK's "public" rate, per client."""

from rest_framework.throttling import SimpleRateThrottle


class PublicIntakeThrottle(SimpleRateThrottle):
    scope = "public"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
