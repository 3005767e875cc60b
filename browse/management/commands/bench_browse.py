"""Benchmark the public pages at the database's current size.

For each page: the median server time of the whole request (Django's test client, in process:
URL routing, filtering, facets, template rendering, streaming), next to the median time of the
same page's SQL executed directly on a cursor, and, with --http, the median time over HTTP
from a running server (e.g. gunicorn with 2 workers). Medians of --repeat runs after --warmup
runs; machines here are noisy. Exports also print trials a second and the memory they grew.
--publish measures what one publish costs each web process to catch up (its index reload).

Run it against PostgreSQL with a persistent connection, e.g.
  DATABASE_URL=postgres://... CONN_MAX_AGE=60 python manage.py seed_synthetic --trials 100000
  DATABASE_URL=postgres://... CONN_MAX_AGE=60 python manage.py bench_browse --publish \
      --http http://127.0.0.1:8000
"""

import cProfile
import http.client
import io
import math
import pstats
import re
import statistics
import time
import tracemalloc
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from browse import fragments, results
from trials import services
from trials.models import Trial

FACETS = "condition,cell_type,route,phase,status,origin,listing,country,has_results"
DECLARE = re.compile(r"^DECLARE\s+\S+\s+.*?CURSOR\s+(?:WITH(?:OUT)?\s+HOLD\s+)?FOR\s+", re.S)
TARGETS = {"list": (40, 60), "detail": (30, 30)}  # ms in process, ms over HTTP (issue 14)


def _consume(response) -> int:
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def _timed(client, url: str) -> float:
    started = time.perf_counter()
    _consume(client.get(url))
    return time.perf_counter() - started


def _after_publishes(client, url: str, repeat: int, trial) -> tuple[float, list[float]]:
    """The median time of `url` with nothing changed, and its times right after each of
    `repeat` publishes (the trial reindexed: what a publish does to the index)."""
    _timed(client, url)
    steady = statistics.median(_timed(client, url) for _ in range(repeat))
    after = []
    for _run in range(repeat):
        services.trials_reindex(trial_ids=[trial.pk])
        after.append(_timed(client, url))
    return steady, after


def _over_http(base: str, url: str) -> float:
    parts = urlsplit(base)
    started = time.perf_counter()
    connection_ = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=120)
    connection_.request("GET", url, headers={"Host": parts.netloc})
    response = connection_.getresponse()
    while response.read(65536):
        pass
    connection_.close()
    if response.status != 200:
        raise CommandError(f"{base}{url} answered {response.status} over HTTP")
    return time.perf_counter() - started


class Command(BaseCommand):
    help = "Median server time vs raw SQL time of the list, detail, API and export pages."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=15)
        parser.add_argument("--warmup", type=int, default=3)
        parser.add_argument("--http", default="", help="also time each page over HTTP here")
        parser.add_argument("--exports", type=int, default=1, help="runs of each export")
        parser.add_argument("--publish", action="store_true", help="cost of catching up")
        parser.add_argument("--only", default="", help="only pages whose label contains this")
        parser.add_argument("--profile", default="", help="instead, profile this URL (cProfile)")
        parser.add_argument(
            "--cold",
            action="store_true",
            help="empty this process's rendered-form and search caches before each in-process "
            "run: a filter combination nobody asked for since the index last changed",
        )

    @staticmethod
    def plain_settings() -> dict:
        # Plain static storage: the manifest storage needs collectstatic, and looking a name up
        # in it costs microseconds, nothing this benchmark could see.
        storages = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        return {
            "ALLOWED_HOSTS": ["testserver"],
            "DEBUG": False,
            "SECURE_SSL_REDIRECT": False,
            "STORAGES": storages,
            "API_RATE_LIMIT": None,
        }

    def pages(self) -> list[tuple[str, str]]:
        trial = Trial.objects.published().order_by("pk").first()
        if trial is None:
            raise CommandError("No published trials: run load_demo or seed_synthetic first.")
        last = max(1, math.ceil(Trial.objects.published().count() / settings.TRIALS_PAGE_SIZE))
        # The API beside the page it mirrors (25 trials a page in both).
        return [
            ("list, no filter", "/trials/"),
            ("list, one facet", "/trials/?condition=ms"),
            ("list, two facets", "/trials/?condition=ms&cell_type=msc"),
            ("list, three facets", "/trials/?condition=ms&route=intrathecal&phase=PHASE1"),
            ("list, text search", "/trials/?q=stem+cells"),
            ("list, search + facets", "/trials/?q=stem+cells&condition=als&route=intrathecal"),
            ("list, last page", f"/trials/?page={last}"),
            ("list, sorted by start", "/trials/?sort=start&condition=als"),
            ("detail", trial.get_absolute_url()),
            ("API list, no filter", "/api/v1/trials/"),
            ("API list, two facets", "/api/v1/trials/?condition=ms&cell_type=msc&facets=" + FACETS),
            ("API list, text search", "/api/v1/trials/?q=stem+cells"),
            ("API detail", f"/api/v1/trials/{trial.slug}/"),
            ("feed, one facet", "/trials/feed/?condition=als"),
            ("export.csv (all)", "/trials/export.csv"),
            ("export.json (all)", "/trials/export.json"),
        ]

    def handle(self, *args, repeat, warmup, http, exports, publish, only, profile, cold, **options):
        self.cold = cold
        if profile:
            return self.profile(profile, repeat, warmup)
        pages = [(label, url) for label, url in self.pages() if only in label]
        total = Trial.objects.published().count()
        self.stdout.write(
            f"{connection.vendor}, {total} published trials; median of {repeat} runs "
            f"after {warmup} warm-up runs (exports: {exports} run(s))"
            + ("; in process cold: form and search caches emptied before each run" if cold else "")
            + "\n"
        )
        header = (
            f"{'page':24} {'server ms':>10} {'HTTP ms':>8} {'raw SQL ms':>11} {'queries':>8} "
            f"{'bytes':>11}  note"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        client = Client()
        with override_settings(**self.plain_settings()):
            for label, url in pages:
                if label.startswith("export") and exports < 1:
                    continue  # --exports 0: pages only
                if label.startswith("export"):
                    self.stdout.write(self.measure_export(client, label, url, http, exports, total))
                else:
                    self.stdout.write(self.measure(client, label, url, repeat, warmup, http))
            if publish:
                self.measure_publish(client, repeat)

    def profile(self, url, repeat, warmup) -> None:
        """The top of a cProfile of `repeat` requests: project code, templates, queries."""
        client = Client()
        with override_settings(**self.plain_settings()):
            for _run in range(warmup):
                _consume(client.get(url))
            profiler = cProfile.Profile()
            for _run in range(repeat):
                if self.cold:
                    fragments.clear()
                    results.clear_searches()
                profiler.enable()
                _consume(client.get(url))
                profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(
            r"(browse|trials)/|template/(response|loader_tags)|prefetch|execute_sql", 30
        )
        stats.sort_stats("tottime").print_stats(15)
        self.stdout.write(f"{url}: {repeat} requests after {warmup} warm-up requests\n")
        self.stdout.write(out.getvalue())

    def measure(self, client, label, url, repeat, warmup, http) -> str:
        _consume(client.get(url))  # warm caches (e.g. the in-memory browse index)
        if self.cold:  # (so that the SQL replayed below includes the search's own query)
            fragments.clear()
            results.clear_searches()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            size = _consume(response)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        # On PostgreSQL an export reads through a server-side cursor (DECLARE … FOR SELECT);
        # replay the SELECT itself.
        statements = [DECLARE.sub("", query["sql"]) for query in captured.captured_queries]
        server = []
        for run in range(warmup + repeat):
            if self.cold:
                fragments.clear()
                results.clear_searches()
            started = time.perf_counter()
            _consume(client.get(url))
            if run >= warmup:
                server.append(time.perf_counter() - started)
        over_http = []
        if http:
            for run in range(warmup + repeat):
                elapsed = _over_http(http, url)
                if run >= warmup:
                    over_http.append(elapsed)
        raw = []
        with connection.cursor() as cursor:
            for run in range(warmup + repeat):
                started = time.perf_counter()
                for sql in statements:
                    cursor.execute(sql)
                    if cursor.description is not None:
                        cursor.fetchall()
                if run >= warmup:
                    raw.append(time.perf_counter() - started)
        server_ms = statistics.median(server) * 1000
        http_ms = statistics.median(over_http) * 1000 if over_http else float("nan")
        raw_ms = statistics.median(raw) * 1000
        kind = "detail" if "detail" in label and "API" not in label else "list"
        in_process, via_http = TARGETS[kind]
        note = "" if label.startswith(("API", "feed")) else f"target ≤{in_process}"
        if note and http:
            note += f" / ≤{via_http} ms"
        if note and (server_ms > in_process or (http and http_ms > via_http)):
            note += "  MISSED"
        return (
            f"{label:24} {server_ms:10.1f} {http_ms:8.1f} {raw_ms:11.1f} "
            f"{len(statements):8d} {size:11d}  {note}"
        )

    def measure_export(self, client, label, url, http, runs, total) -> str:
        """Trials a second, and how much memory one export grew (tracemalloc's peak, in a
        separate run: tracing slows Python down)."""
        _consume(client.get(url + "?page_size=1"))
        times = []
        for _run in range(runs):
            started = time.perf_counter()
            size = _consume(client.get(url))
            times.append(time.perf_counter() - started)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        _consume(client.get(url))
        grown = (tracemalloc.get_traced_memory()[1] - before) / 1e6
        tracemalloc.stop()
        seconds = statistics.median(times)
        http_ms = (
            statistics.median([_over_http(http, url) for _ in range(runs)]) * 1000
            if http
            else float("nan")
        )
        note = f"{total / seconds:,.0f} trials/s (target ≥10,000), peak +{grown:.1f} MB (≤50)"
        if total / seconds < 10_000 or grown > 50:
            note += "  MISSED"
        return (
            f"{label:24} {seconds * 1000:10.1f} {http_ms:8.1f} {'':>11} {'':>8} {size:11d}  {note}"
        )

    def measure_publish(self, client, repeat) -> None:
        """One publish's cost to each web process: reindex one trial (what a publish does to
        the index), then time the next list request, which catches up, against the same
        request with nothing to catch up; and against one after a change too large to list
        (a full reload)."""
        url = "/trials/?condition=ms"
        trial = Trial.objects.published().order_by("-pk").first()
        steady, after_publish = _after_publishes(client, url, repeat, trial)
        after_bulk = []
        for _run in range(max(3, repeat // 5)):
            services.browse_index_changed()  # no list of trials: every process reloads all
            after_bulk.append(_timed(client, url))
        catch_up = (statistics.median(after_publish) - steady) * 1000
        reload = (statistics.median(after_bulk) - steady) * 1000
        self.stdout.write(
            f"\nOne publish costs each web process {catch_up:.1f} ms to catch up (its next "
            f"request: {statistics.median(after_publish) * 1000:.1f} ms against "
            f"{steady * 1000:.1f} ms; medians of {repeat}). A full reload: {reload:.0f} ms."
        )
        self.measure_search_after_publish(client, repeat, trial)

    def measure_search_after_publish(self, client, repeat, trial) -> None:
        """A text search this process answered before a publish: asked again after it, only
        the changed trial is searched (browse/results.py), against the same search with
        nothing changed and against one asked from scratch."""
        url = "/trials/?q=stem+cells"
        steady, patched = _after_publishes(client, url, repeat, trial)
        scratch = []
        for _run in range(repeat):
            results.clear_searches()
            scratch.append(_timed(client, url))
        self.stdout.write(
            f"A kept search (q=stem cells) after one publish: "
            f"{statistics.median(patched) * 1000:.1f} ms (the changed trial searched again), "
            f"against {steady * 1000:.1f} ms with nothing changed and "
            f"{statistics.median(scratch) * 1000:.1f} ms asked from scratch (its filter form "
            f"kept: browse/fragments.py)."
        )
