"""Benchmark the registry sync against a local SYNTHETIC registry (trials/ingest/synthetic.py).

It measures what a curator's daily job costs: a first full run over N studies (creating N
drafts), the same studies fetched again unchanged (writes nothing to any trial), and an
incremental run with nothing new. Beside them, as the baseline, fetching the same pages
without importing: what the HTTP and JSON alone cost. Each figure is the median of --repeat
runs; the full run is undone (its trials deleted) between repeats. Peak memory is the growth
of the process's peak resident size over the whole benchmark.

It writes to the configured database, so it refuses a catalogue holding anything but its own
synthetic trials: run it on an empty database, e.g.
  DATABASE_URL=postgres://…/tracker_bench python manage.py migrate
  DATABASE_URL=postgres://…/tracker_bench python manage.py bench_sync --studies 1000
"""

import resource
import statistics
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from trials import services
from trials.ingest.client import ApiClient
from trials.ingest.sync import sync_ctgov
from trials.ingest.synthetic import LocalServer, SyntheticRegistry, synthetic_study
from trials.models import SavedSearch, SyncRun, Trial

BENCH_SEARCH = "bench_sync (synthetic)"


def _synthetic_trials():
    return Trial.objects.filter(registry_records__identifier__startswith="NCT99")


class Command(BaseCommand):
    help = "Time the registry sync over N synthetic studies served by a local fake API."

    def add_arguments(self, parser):
        parser.add_argument("--studies", type=int, default=1000)
        parser.add_argument("--repeat", type=int, default=3)
        parser.add_argument(
            "--rate",
            type=float,
            default=0,
            help="requests a second (0: no limit; production's polite default is 3, which "
            "adds a third of a second a request)",
        )

    def handle(self, *args, studies, repeat, rate, **options):
        if Trial.objects.exclude(pk__in=_synthetic_trials()).exists():
            raise CommandError(
                "The catalogue holds real trials; bench_sync writes and deletes trials. Run it "
                "on an empty database (see the command's help)."
            )
        app = SyntheticRegistry([synthetic_study(n) for n in range(1, studies + 1)])
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rows = []
        with LocalServer(app) as server, override_settings(SYNC_RATE_LIMIT=rate):
            search, _ = SavedSearch.objects.get_or_create(
                name=BENCH_SEARCH, defaults={"term": "synthetic", "enabled": False}
            )
            try:
                rows.append(("fetch pages only (baseline)", *self.fetch_only(server.url, repeat)))
                rows.append(("full run, N created", *self.full_runs(server.url, search, repeat)))
                rows.append(
                    ("same studies again, 0 changed", *self.again(server.url, search, repeat))
                )
                rows.append(("incremental, nothing new", *self.incremental(server.url, repeat)))
            finally:
                services.trials_delete(queryset=_synthetic_trials())
                SyncRun.objects.filter(query__contains=BENCH_SEARCH).delete()
                search.delete()
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
        self.stdout.write(
            f"{connection.vendor}; {studies} synthetic studies; median of {repeat} runs; "
            f"rate limit {rate or 'off'}"
        )
        self.stdout.write(f"{'run':32} {'seconds':>8} {'studies/s':>10} {'requests':>9}")
        for label, seconds, requests, seen in rows:
            per_second = f"{seen / seconds:10.0f}" if seen and seconds else f"{'-':>10}"
            self.stdout.write(f"{label:32} {seconds:8.2f} {per_second} {requests:9d}")
        self.stdout.write(f"peak resident memory grew by {peak:.0f} MB over the benchmark")

    def _sync(self, url, **kwargs):
        with ApiClient(url) as client:
            started = time.perf_counter()
            run, tally, outcome = sync_ctgov(client, **kwargs)
            elapsed = time.perf_counter() - started
        if outcome != "ok":
            raise CommandError(f"the sync was {outcome}: {run.message if run else ''}")
        return elapsed, client.requests, tally

    def fetch_only(self, url, repeat):
        times = []
        for _ in range(repeat):
            with ApiClient(url) as client:
                started, token, seen = time.perf_counter(), None, 0
                while True:
                    page = client.get_json(
                        "studies", {"pageSize": "100", **({"pageToken": token} if token else {})}
                    )
                    seen += len(page["studies"])
                    if not (token := page.get("nextPageToken")):
                        break
                times.append(time.perf_counter() - started)
        return statistics.median(times), client.requests, seen

    def full_runs(self, url, search, repeat):
        times = []
        for attempt in range(repeat):
            if attempt:
                services.trials_delete(queryset=_synthetic_trials())
            search.synced_until = None
            search.save(update_fields=["synced_until"])
            elapsed, requests, tally = self._sync(url, searches=[search], refresh=False)
            if tally.created != tally.seen:
                raise CommandError(f"expected every study created, got {tally.figures()}")
            times.append(elapsed)
        return statistics.median(times), requests, tally.seen

    def again(self, url, search, repeat):
        times = []
        for _ in range(repeat):
            elapsed, requests, tally = self._sync(
                url, searches=[search], refresh=False, since=date(2000, 1, 1)
            )
            if tally.unchanged != tally.seen:
                raise CommandError(f"expected every study unchanged, got {tally.figures()}")
            times.append(elapsed)
        return statistics.median(times), requests, tally.seen

    def incremental(self, url, repeat):
        """Every saved search it would run is the bench's own; the catalogue refresh covers
        the N synthetic trials, asked for in batches with the window. The first run (not timed)
        is the catalogue refresh's own first, full one; it sets the refresh's window."""
        search = SavedSearch.objects.get(name=BENCH_SEARCH)
        self._sync(url, searches=[search], refresh=True)
        times = []
        for _ in range(repeat):
            elapsed, requests, tally = self._sync(url, searches=[search], refresh=True)
            times.append(elapsed)
        return statistics.median(times), requests, tally.seen
