"""The load test: visitors browsing the public site and calling the API at once.

Each simulated user is a visitor who, between pauses of 1 to 3 seconds (reading), does one of:
open the list (a random page and sort), filter it by 1 to 3 facets, search (sometimes with a
facet), open a trial, export a filtered result set (CSV or JSON), or call the API (a list with
facet counts, a trial, the numbers). Requests are grouped by kind in the statistics.

Every user connects from its own loopback address (127.0.1.1, 127.0.1.2, …): the API limits
each client address (settings.API_RATE_LIMIT) and one address for 50 people would turn the test
into a test of the throttle. On Linux the whole of 127.0.0.0/8 reaches the loopback interface.

The vocabulary and a pool of published trials are read from the API before the test starts,
so this file runs against any deployment:

    locust -f loadtest/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:8021

`make loadtest` (loadtest/run.py) prepares the database, starts gunicorn and the import, and
runs this; docs/operations.md ("Load test") has the figures.
"""

import itertools
import random

import requests
from locust import HttpUser, between, events, task
from locust.clients import LocustHttpAdapter

WORDS = ["stem cells", "mesenchymal", "neural", "intrathecal", "progressive", "safety", "dose"]
PHASES = ["EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"]
STATUSES = ["RECRUITING", "COMPLETED", "ACTIVE_NOT_RECRUITING", "TERMINATED", "UNKNOWN"]
COUNTRIES = ["IT", "GB", "US", "DE", "FR", "ES", "KR"]
SORTS = ["updated", "start", "enrollment", "phase", "evidence"]
API_FACETS = "condition,cell_type,route,phase,status,country"

# Filled once by on_test_start from the API: {"condition": [...], ...} and trial slugs.
VOCABULARY: dict[str, list[str]] = {}
SLUGS: list[str] = []
_addresses = itertools.count()


@events.test_start.add_listener
def on_test_start(environment, **_kwargs):
    """Read the facet values and some published trials (not counted in the statistics)."""
    host = environment.host.rstrip("/")
    for facet, path in (
        ("condition", "conditions"),
        ("cell_type", "cell-types"),
        ("route", "routes"),
    ):
        terms = requests.get(f"{host}/api/v1/{path}/", timeout=30).json()
        VOCABULARY[facet] = [term["slug"] for term in terms if term["trials"]]
    VOCABULARY.update(phase=PHASES, status=STATUSES, country=COUNTRIES)
    first = requests.get(f"{host}/api/v1/trials/?page_size=100", timeout=30).json()
    pages = max(1, -(-first["count"] // 100))
    SLUGS.extend(trial["slug"] for trial in first["results"])
    for page in random.sample(range(2, pages + 1), min(4, pages - 1)):
        listed = requests.get(f"{host}/api/v1/trials/?page_size=100&page={page}", timeout=30)
        SLUGS.extend(trial["slug"] for trial in listed.json()["results"])
    if not SLUGS:
        raise RuntimeError("The site lists no published trials: seed it first.")


class FromAddress(LocustHttpAdapter):
    """Connections from one source address (the client address the app sees)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__(pool_manager=None)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


def facet_query(rng: random.Random, count: int) -> str:
    facets = rng.sample(sorted(VOCABULARY), count)
    return "&".join(f"{facet}={rng.choice(VOCABULARY[facet])}" for facet in facets)


class Visitor(HttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        n = next(_addresses)
        self.client.mount("http://", FromAddress(f"127.0.{1 + n // 250}.{1 + n % 250}"))
        self.rng = random.Random()

    @task(3)
    def list_page(self):
        page = self.rng.randint(1, 40)
        self.client.get(f"/trials/?page={page}&sort={self.rng.choice(SORTS)}", name="list")

    @task(4)
    def facets(self):
        query = facet_query(self.rng, self.rng.randint(1, 3))
        self.client.get(f"/trials/?{query}", name="list, facets")

    @task(2)
    def search(self):
        query = f"q={self.rng.choice(WORDS).replace(' ', '+')}"
        if self.rng.random() < 0.5:
            query += "&" + facet_query(self.rng, 1)
        self.client.get(f"/trials/?{query}", name="list, search")

    @task(4)
    def detail(self):
        self.client.get(f"/trials/{self.rng.choice(SLUGS)}/", name="detail")

    @task(1)
    def export(self):
        kind = self.rng.choice(["csv", "json"])
        query = facet_query(self.rng, self.rng.randint(2, 3))
        self.client.get(f"/trials/export.{kind}?{query}", name=f"export.{kind}, 2-3 facets")

    @task(3)
    def api(self):
        roll = self.rng.random()
        if roll < 0.5:
            query = facet_query(self.rng, self.rng.randint(0, 2))
            self.client.get(f"/api/v1/trials/?facets={API_FACETS}&{query}", name="API list")
        elif roll < 0.85:
            self.client.get(f"/api/v1/trials/{self.rng.choice(SLUGS)}/", name="API detail")
        else:
            self.client.get("/api/v1/stats/", name="API stats")
