"""Per-client rate limits for the public form, kept in Django's cache framework.

The counts live in the "ratelimit" cache (settings.CACHES), a database table shared by every
web process: a per-process memory cache would let each gunicorn worker count on its own.
Keys are keyed hashes of the address, so the cache never holds visitors' IP addresses.
"""

import ipaddress
import time

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import salted_hmac


def client_address(request) -> str:
    """The address a limit counts by: REMOTE_ADDR, never X-Forwarded-For (any client can send
    that header). Behind a proxy, the proxy or WSGI server must set REMOTE_ADDR to the real
    client, or every visitor shares the proxy's address and its limit. An IPv6 client counts
    by its /64 network, which one household or server usually has to itself."""
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class RateLimit:
    """At most `limit` hits per client in any `window` seconds (a sliding window).

    The cached value is the list of the client's recent hit times; the check and the update
    are two steps, so two simultaneous requests may both pass at the limit. That is fine for
    spam control, where one extra report does no harm.
    """

    def __init__(self, scope: str, *, limit: int, window: int, cache_alias: str = "ratelimit"):
        self.scope, self.limit, self.window = scope, limit, window
        self.cache = caches[cache_alias]

    def _key(self, client: str) -> str:
        digest = salted_hmac(f"ratelimit:{self.scope}", client, algorithm="sha256").hexdigest()
        return f"rl:{self.scope}:{digest}"

    def _recent(self, key: str, now: float) -> list[float]:
        return [t for t in self.cache.get(key, []) if t > now - self.window]

    def exceeded(self, client: str, *, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return len(self._recent(self._key(client), now)) >= self.limit

    def hit(self, client: str, *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        key = self._key(client)
        self.cache.set(key, [*self._recent(key, now), now][-self.limit :], timeout=self.window)


def report_limit() -> RateLimit:
    return RateLimit(
        "problem-report", limit=settings.REPORTS_RATE_LIMIT, window=settings.REPORTS_RATE_WINDOW
    )
