"""One careful HTTP client for the registry sync: ClinicalTrials.gov API v2 and PubMed E-utilities.

- httpx with separate connect and read timeouts (settings SYNC_TIMEOUT_CONNECT / _READ);
- retries, with exponential backoff (SYNC_BACKOFF_BASE × 2ⁿ), on connection errors and
  timeouts, on 429 (honouring Retry-After, in seconds or as an HTTP date, up to
  SYNC_MAX_RETRY_AFTER) and on 5xx; after SYNC_MAX_RETRIES retries a clear FetchError;
- a polite rate limit: at most SYNC_RATE_LIMIT requests a second (3 by default), per client;
- a User-Agent naming the tracker (SYNC_USER_AGENT);
- base URLs from settings (CTGOV_API_URL, PUBMED_EUTILS_URL, read from the environment).

A 404 is NotFound (the caller reports it; nothing is deleted), an answer that is not JSON (a
truncated page) is MalformedResponse. Both are FetchErrors. `requests` counts every attempt.
"""

import json
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone


class FetchError(Exception):
    """The service could not give an answer we can use, after retries where they help."""


class NotFound(FetchError):
    pass


class MalformedResponse(FetchError):
    pass


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


class ApiClient:
    def __init__(self, base_url: str, *, sleep=time.sleep, clock=time.monotonic):
        self.base_url = base_url.rstrip("/")
        self.rate = float(settings.SYNC_RATE_LIMIT)
        self.retries = int(settings.SYNC_MAX_RETRIES)
        self.backoff = float(settings.SYNC_BACKOFF_BASE)
        self.max_retry_after = float(settings.SYNC_MAX_RETRY_AFTER)
        self.requests = 0
        self._sleep, self._clock = sleep, clock
        self._last: float | None = None
        self._http = httpx.Client(
            timeout=httpx.Timeout(
                settings.SYNC_TIMEOUT_READ, connect=settings.SYNC_TIMEOUT_CONNECT
            ),
            headers={"User-Agent": settings.SYNC_USER_AGENT, "Accept": "application/json"},
            follow_redirects=True,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _wait_turn(self) -> None:
        if self.rate > 0 and self._last is not None:
            gap = 1.0 / self.rate - (self._clock() - self._last)
            if gap > 0:
                self._sleep(gap)
        self._last = self._clock()

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}/{path.lstrip('/')}"
        problem = ""
        delay = 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(delay)
            self._wait_turn()
            self.requests += 1
            delay = self.backoff * 2**attempt
            try:
                response = self._http.get(url, params=params)
            except httpx.TransportError as error:  # connection refused, reset, timeouts
                problem = f"{type(error).__name__}: {error}"
                continue
            if response.status_code == 404:
                raise NotFound(f"{url}: 404 not found")
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                if response.status_code == 429:
                    after = _retry_after(response.headers.get("Retry-After"))
                    if after is not None:
                        if after > self.max_retry_after:
                            raise FetchError(
                                f"{url}: HTTP 429, Retry-After {after:.0f} s is longer than "
                                f"we wait ({self.max_retry_after:.0f} s)"
                            )
                        delay = after
                continue
            if response.status_code >= 400:
                raise FetchError(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
            try:
                return json.loads(response.content)
            except (ValueError, RecursionError) as error:
                raise MalformedResponse(
                    f"{url}: the answer is not complete JSON ({error}); truncated?"
                ) from None
        raise FetchError(f"{url}: gave up after {self.retries + 1} attempts ({problem})")


def ctgov_client(**kwargs) -> ApiClient:
    return ApiClient(settings.CTGOV_API_URL, **kwargs)


def pubmed_client(**kwargs) -> ApiClient:
    return ApiClient(settings.PUBMED_EUTILS_URL, **kwargs)
