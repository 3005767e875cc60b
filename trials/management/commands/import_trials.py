import sys

from django.core.management.base import BaseCommand, CommandError

from trials import services
from trials.backup import BackupError, import_records, parse_lines
from trials.models import Workflow


class Command(BaseCommand):
    help = (
        "Restore a file written by export_trials into a database with no trials, through the "
        "services, all or nothing (docs/operations.md, 'Backups')."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file, or - for standard input.")

    def handle(self, *args, file, **options):
        try:
            if file == "-":
                report = import_records(parse_lines(sys.stdin.buffer))
            else:
                with open(file, "rb") as lines:
                    report = import_records(parse_lines(lines))
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        except BackupError as error:
            message = str(error).rstrip(".")
            raise CommandError(f"{file}: {message}. Nothing was imported.") from error
        services.refresh_planner_statistics()
        states = ", ".join(
            f"{report.trials[state]} {label.lower()}" for state, label in Workflow.choices
        )
        self.stdout.write(
            f"Imported {report.trials.total()} trial(s) ({states}); created "
            f"{report.publications_created} publication(s) and "
            f"{report.organisations_created} organisation(s)."
        )
        if report.missing_users:
            names = ", ".join(
                f"{name} ({count})" for name, count in sorted(report.missing_users.items())
            )
            self.stdout.write(
                f"{report.missing_users.total()} reference(s) to users who do not exist here "
                f"were left empty: {names}."
            )
