"""Request rates per token and per user (settings.API_THROTTLE_RATES).

The counters live in the default cache: shared by every worker with Redis, per worker
without it. While Redis is out of reach (its reads are misses, so every count would
restart at zero and no limit would hold) they are kept in the worker's own memory, as
without Redis. The rates are read from the settings on every request (DRF's own
throttles read them once at import), so they can be changed without a restart of the
classes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import SimpleRateThrottle

from coursesite.clientip import client_ip

from .models import PersonalAccessToken

# The counters of this process while the shared cache cannot be reached.
_during_outage = LocMemCache("api-throttle-outage", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


class _SettingsRateThrottle(SimpleRateThrottle):
    @property
    def cache(self):
        reachable = getattr(shared_cache, "reachable", None)
        return _during_outage if reachable is not None and not reachable() else shared_cache

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        # The site's rule for the client's address (DRF's read X-Forwarded-For as sent,
        # so a new made-up address each time escaped the anonymous rate).
        return client_ip(request)


class TokenRateThrottle(_SettingsRateThrottle):
    """Each token has its own budget: one runaway script does not stop the others."""

    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, PersonalAccessToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(_SettingsRateThrottle):
    """All of a user's requests together (browser and every token) share one budget;
    anonymous requests (the schema) share one per address, at the "anon" rate. Refusals
    (401) are answered before any throttle runs: a wrong token costs one indexed lookup."""

    scope = "user"

    def allow_request(self, request, view) -> bool:
        # The rate is read with the scope in __init__ and again here: an anonymous
        # request is counted at the anon rate, not the user's (twenty times higher).
        self.scope = "user" if request.user.is_authenticated else "anon"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str | None:
        if not request.user.is_authenticated:
            return self.cache_format % {"scope": "anon", "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
