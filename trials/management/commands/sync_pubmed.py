from django.core.management.base import BaseCommand, CommandError

from trials.ingest.client import pubmed_client
from trials.ingest.pubmed import sync_pubmed
from trials.ingest.runs import SyncBusy


class Command(BaseCommand):
    help = (
        "Fill title, journal, year, volume, pages, DOI and PMCID from PubMed (esummary) for "
        "publications that have a PMID and lack them. Never overwrites a value."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be filled; write nothing"
        )

    def handle(self, *args, dry_run, **options):
        with pubmed_client() as client:
            try:
                run, tally, outcome = sync_pubmed(client, dry_run=dry_run)
            except SyncBusy as busy:
                raise CommandError(str(busy)) from None
        for line in tally.lines:
            (self.stderr if line.startswith("ERROR") else self.stdout).write(line)
        what = "Dry run, nothing written" if run is None else f"PubMed sync run #{run.pk}"
        self.stdout.write(f"{what}: {outcome}; {tally.figures()}; {client.requests} requests")
        if outcome != "ok":
            raise CommandError(f"The PubMed sync was {outcome}: see the errors above.")
