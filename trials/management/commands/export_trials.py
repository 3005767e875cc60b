import os
from pathlib import Path

from django.core.management.base import BaseCommand

from trials.backup import write_backup
from trials.models import Workflow


class Command(BaseCommand):
    help = (
        "Write every trial, in every workflow state, with all its parts and curation fields, "
        "as JSON Lines (docs/operations.md, 'Backups'). Restore with import_trials."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default="-", help="File to write, or - for standard output (default)."
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="Prefix of each record's public `url`, e.g. https://tracker.example.org "
            "(default: site-relative URLs).",
        )

    def handle(self, *args, output, base_url, **options):
        base_url = base_url.rstrip("/")
        if output == "-":
            counts = write_backup(self.stdout, base_url=base_url)
        else:
            # Write beside the target and rename at the end, so a failed export never leaves
            # something that looks like a finished backup under the requested name.
            target = Path(output)
            partial = target.with_name(f".{target.name}.partial")
            try:
                with partial.open("w", encoding="utf-8", newline="\n") as out:
                    counts = write_backup(out, base_url=base_url)
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
        states = ", ".join(f"{counts[state]} {label.lower()}" for state, label in Workflow.choices)
        # The summary goes to stderr, so `--output -` stays a clean JSON Lines stream.
        self.stderr.write(
            f"Exported {counts.total()} trial(s) ({states}) to "
            f"{'standard output' if output == '-' else output}."
        )
