"""The sync's HTTP client against a local fake API: retries, Retry-After, 5xx, 404, truncated
answers, the rate limit and the User-Agent. Sleeps are recorded, not slept."""

import pytest

from tests.helpers import FakeApi
from trials.ingest.client import ApiClient, FetchError, MalformedResponse, NotFound


@pytest.fixture
def fast(settings):
    settings.SYNC_BACKOFF_BASE = 0.01
    settings.SYNC_RATE_LIMIT = 0  # the rate limit has its own test
    return settings


def _client(api, **kwargs):
    slept = []
    return ApiClient(api.url, sleep=slept.append, **kwargs), slept


def test_a_429_with_retry_after_is_waited_out_then_answered(fast):
    api = FakeApi({"/studies": [(429, {"Retry-After": "2"}, b""), (200, {}, {"studies": []})]})
    try:
        client, slept = _client(api)
        assert client.get_json("studies") == {"studies": []}
        assert slept == [2.0] and client.requests == 2
        assert "CellTherapyTrialTracker" in api.seen[0][2]
    finally:
        api.close()


def test_a_500_then_success_backs_off_and_succeeds(fast):
    api = FakeApi({"/studies": [(500, {}, b"oops"), (503, {}, b""), (200, {}, {"ok": 1})]})
    try:
        client, slept = _client(api)
        assert client.get_json("studies") == {"ok": 1}
        assert slept == [0.01, 0.02]  # exponential: the base, then doubled
    finally:
        api.close()


def test_persistent_5xx_is_a_clear_failure_after_the_retries(fast):
    fast.SYNC_MAX_RETRIES = 2
    api = FakeApi({"/studies": [(502, {}, b"")]})
    try:
        client, _slept = _client(api)
        with pytest.raises(FetchError, match=r"gave up after 3 attempts \(HTTP 502"):
            client.get_json("studies")
    finally:
        api.close()


def test_a_connection_error_is_retried_then_fails_clearly(fast):
    fast.SYNC_MAX_RETRIES = 1
    client = ApiClient("http://127.0.0.1:9", sleep=lambda s: None)  # nothing listens there
    with pytest.raises(FetchError, match=r"gave up after 2 attempts \(Connect"):
        client.get_json("studies")


def test_a_404_and_a_truncated_answer(fast):
    api = FakeApi({"/studies/NCT01234567": [(200, {}, b'{"protocolSection": {"ident')]})
    try:
        client, _slept = _client(api)
        with pytest.raises(NotFound):
            client.get_json("studies/NCT99999999")
        with pytest.raises(MalformedResponse, match="truncated"):
            client.get_json("studies/NCT01234567")
    finally:
        api.close()


def test_the_rate_limit_spaces_requests(settings):
    settings.SYNC_RATE_LIMIT = 3
    api = FakeApi({"/esummary.fcgi": [(200, {}, {"result": {}})]})
    try:
        now = [100.0]
        slept = []

        def sleep(seconds):
            slept.append(seconds)
            now[0] += seconds

        client = ApiClient(api.url, sleep=sleep, clock=lambda: now[0])
        for _ in range(3):
            client.get_json("esummary.fcgi", {"db": "pubmed", "id": "1"})
        assert len(slept) == 2 and all(abs(s - 1 / 3) < 1e-6 for s in slept)
    finally:
        api.close()
