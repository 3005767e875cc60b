"""Benchmark the public pages at the database's current size.

For each page: the median server time of the whole request (Django's test client, in process:
URL routing, filtering, facets, template rendering, streaming), next to the median time of the
same page's SQL executed directly on a cursor. Their ratio is the overhead the app adds on top
of the database. Medians of --repeat runs after --warmup runs; machines here are noisy.

Run it against PostgreSQL with a persistent connection, e.g.
  DATABASE_URL=postgres://... CONN_MAX_AGE=60 python manage.py seed_synthetic --trials 10000
  DATABASE_URL=postgres://... CONN_MAX_AGE=60 python manage.py bench_browse
"""

import re
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from trials.models import Trial

FACETS = "condition,cell_type,route,phase,status,origin,listing,country,has_results"
DECLARE = re.compile(r"^DECLARE\s+\S+\s+.*?CURSOR\s+(?:WITH(?:OUT)?\s+HOLD\s+)?FOR\s+", re.S)


def _consume(response) -> int:
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


class Command(BaseCommand):
    help = "Median server time vs raw SQL time of the list, detail and export pages."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=15)
        parser.add_argument("--warmup", type=int, default=3)

    def handle(self, *args, repeat, warmup, **options):
        trial = Trial.objects.published().order_by("pk").first()
        if trial is None:
            raise CommandError("No published trials: run load_demo or seed_synthetic first.")
        # The API beside the page it mirrors (25 trials a page in both; the API's records are
        # the export's, with outcomes and publications). Throttling is off except in the last
        # API row, which shows what counting requests in the database cache costs.
        pages = [
            ("list, no filter", "/trials/"),
            ("API list, no filter", "/api/v1/trials/"),
            ("list, two facets", "/trials/?condition=ms&cell_type=msc"),
            ("API list, two facets", "/api/v1/trials/?condition=ms&cell_type=msc&facets=" + FACETS),
            ("list, text search", "/trials/?q=stem+cells"),
            ("API list, text search", "/api/v1/trials/?q=stem+cells"),
            ("detail", trial.get_absolute_url()),
            ("API detail", f"/api/v1/trials/{trial.slug}/"),
            ("export.csv (all)", "/trials/export.csv"),
            ("API list, throttled", "/api/v1/trials/"),
        ]
        total = Trial.objects.published().count()
        self.stdout.write(
            f"{connection.vendor}, {total} published trials; median of {repeat} runs "
            f"after {warmup} warm-up runs\n"
        )
        header = (
            f"{'page':22} {'server ms':>10} {'raw SQL ms':>11} {'ratio':>6} "
            f"{'queries':>8} {'bytes':>10}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        client = Client()
        # Plain static storage: the manifest storage needs collectstatic, and looking a name up
        # in it costs microseconds, nothing this benchmark could see.
        storages = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(
            ALLOWED_HOSTS=["testserver"], DEBUG=False, STORAGES=storages, API_RATE_LIMIT=None
        ):
            for label, url in pages:
                rate = "1000000/minute" if label.endswith("throttled") else None
                with override_settings(API_RATE_LIMIT=rate):
                    self.stdout.write(self.measure(client, label, url, repeat, warmup))

    def measure(self, client, label, url, repeat, warmup) -> str:
        _consume(client.get(url))  # warm caches (e.g. the in-memory browse index)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            size = _consume(response)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        # On PostgreSQL an export reads through a server-side cursor (DECLARE … FOR SELECT);
        # replay the SELECT itself.
        statements = [DECLARE.sub("", query["sql"]) for query in captured.captured_queries]

        server, raw = [], []
        for run in range(warmup + repeat):
            started = time.perf_counter()
            _consume(client.get(url))
            elapsed = time.perf_counter() - started
            if run >= warmup:
                server.append(elapsed)
        with connection.cursor() as cursor:
            for run in range(warmup + repeat):
                started = time.perf_counter()
                for sql in statements:
                    cursor.execute(sql)
                    if cursor.description is not None:
                        cursor.fetchall()
                elapsed = time.perf_counter() - started
                if run >= warmup:
                    raw.append(elapsed)
        server_ms = statistics.median(server) * 1000
        raw_ms = statistics.median(raw) * 1000
        ratio = server_ms / raw_ms if raw_ms else float("inf")
        return (
            f"{label:22} {server_ms:10.1f} {raw_ms:11.1f} {ratio:6.1f} "
            f"{len(statements):8d} {size:10d}"
        )
