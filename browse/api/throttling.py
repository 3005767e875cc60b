"""Per-address throttling for the API, counted in the shared "ratelimit" cache (a database
table), so every gunicorn worker and container sees one count per client."""

from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import salted_hmac
from rest_framework.throttling import AnonRateThrottle

from browse.ratelimit import client_address


class AddressRateThrottle(AnonRateThrottle):
    """settings.API_RATE_LIMIT requests per client address. The address is REMOTE_ADDR (an
    IPv6 /64 counts as one), never X-Forwarded-For, which any client can send; the cache key
    is a keyed hash, so no address is stored. A refusal is a 429 with Retry-After."""

    scope = "api"

    def __init__(self):
        self.cache = caches["ratelimit"]
        super().__init__()

    def get_rate(self):
        # Read on each request (not frozen at import like DRF's own), so settings can change.
        return settings.API_RATE_LIMIT

    def get_ident(self, request):
        return salted_hmac("ratelimit:api", client_address(request), algorithm="sha256").hexdigest()
