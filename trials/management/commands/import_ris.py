from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from trials.ingest.citations import find_trial, import_ris_file
from trials.models import PublicationRole


class Command(BaseCommand):
    help = (
        "Import publications from a RIS citation file (PubMed/Zotero or Embase/Scopus style). "
        "De-duplicated by DOI, then PMID; linked to trials whose registry ids the record names, "
        "and to --trial if given. A file with a bad record writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="RIS files")
        parser.add_argument("--trial", help="also link every record to this trial (slug or id)")
        parser.add_argument(
            "--role",
            default=PublicationRole.OTHER,
            choices=PublicationRole.values,
            help="the publications' role for the linked trials (default: other)",
        )
        parser.add_argument("--user", help="the curator to record as the importer")

    def handle(self, *args, **options):
        importer = None
        if options["user"]:
            importer = get_user_model().objects.filter(username=options["user"]).first()
            if importer is None:
                raise CommandError(f"No user named {options['user']!r}.")
        trial = None
        if options["trial"]:
            trial = find_trial(options["trial"])
            if trial is None:
                raise CommandError(f"No trial with slug or registry id {options['trial']!r}.")
        failed = 0
        for name in options["paths"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            result = import_ris_file(
                path.read_bytes(),
                name=path.name,
                user=importer,
                trial=trial,
                role=options["role"],
            )
            if result.error:
                self.stderr.write(f"ERROR {result.error}")
                failed += 1
                continue
            self.stdout.write(f"{path.name}: {len(result.records)} record(s): {result.tally}")
            for record in result.records:
                links = ", ".join(str(t) for t in record.linked)
                self.stdout.write(
                    f"  line {record.line}: {record.outcome}: {record.publication}"
                    + (f" → linked to {links}" if links else "")
                )
        if failed:
            raise CommandError(f"{failed} file(s) could not be imported.")
