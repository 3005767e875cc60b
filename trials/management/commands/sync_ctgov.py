from datetime import date

from django.core.management.base import BaseCommand, CommandError

from trials.ingest.client import ctgov_client
from trials.ingest.runs import SyncBusy
from trials.ingest.sync import count_matches, sync_ctgov
from trials.models import SavedSearch


class Command(BaseCommand):
    help = (
        "Run the enabled saved searches against the ClinicalTrials.gov API v2 and refresh every "
        "catalogued NCT trial. New trials become drafts; curated values are never overwritten. "
        "Incremental after the first full run. Exits non-zero when the run is partial or failed, "
        "or when another sync is running."
    )

    def add_arguments(self, parser):
        parser.add_argument("--query", help="run only the saved search with this name")
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            help="YYYY-MM-DD: ask for studies updated since then, instead of each search's "
            "own window",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change; write nothing"
        )
        parser.add_argument(
            "--count",
            action="store_true",
            help="only print how many studies each search matches now (one request each)",
        )

    def handle(self, *args, query, since, dry_run, count, **options):
        if query:
            searches = list(SavedSearch.objects.filter(name=query))
            if not searches:
                names = ", ".join(SavedSearch.objects.values_list("name", flat=True))
                raise CommandError(f"No saved search named {query!r}. Saved searches: {names}")
        else:
            searches = list(SavedSearch.objects.filter(enabled=True))
        if count:
            with ctgov_client() as client:
                for name, total in count_matches(client, searches):
                    self.stdout.write(f"{total:>8}  {name}")
            return
        with ctgov_client() as client:
            try:
                run, tally, outcome = sync_ctgov(
                    client, searches=searches, refresh=not query, since=since, dry_run=dry_run
                )
            except SyncBusy as busy:
                raise CommandError(str(busy)) from None
        for line in tally.lines:
            (self.stderr if line.startswith("ERROR") else self.stdout).write(line)
        what = "Dry run, nothing written" if run is None else f"Sync run #{run.pk}"
        self.stdout.write(f"{what}: {outcome}; {tally.figures()}; {client.requests} requests")
        if outcome != "ok":
            raise CommandError(f"The sync was {outcome}: see the errors above.")
